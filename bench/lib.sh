# What the benches of the consent log share; sourced after scripts/env.sh, with RATE and ADDR.

# Saves at RATE a second until the file $1 exists; each line of $2: HTTP status, seconds.
saves() {
  local stop=$1 record=$2 pause
  pause=$(awk -v r="$RATE" 'BEGIN { printf "%.3f", 1 / r }')
  while [ ! -e "$stop" ]; do
    curl -s -o /dev/null -m 30 -w '%{http_code} %{time_total}\n' -X POST "http://$ADDR/api/consent" \
      -H "Origin: http://$ADDR" -H 'Content-Type: application/x-www-form-urlencoded' \
      --data 'choice=reject&source=banner' >>"$record" &
    sleep "$pause"
  done
  wait
}

# "count p50 p99 max refused" (milliseconds; refused: any answer but 200) of a saves record.
latency() {
  local refused
  refused=$(awk '$1 != 200 { r++ } END { print r + 0 }' "$1")
  awk '{ print $2 * 1000 }' "$1" | sort -n | awk -v refused="$refused" '
    { v[NR] = $1 }
    END {
      if (NR == 0) { print "0 - - - -"; exit }
      printf "%d %.1f %.1f %.1f %d\n", NR, v[int((NR - 1) * 0.50) + 1], v[int((NR - 1) * 0.99) + 1], v[NR], refused
    }'
}
