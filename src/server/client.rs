//! Who the client is, for the rate limit: the socket's peer, or, when that peer is a trusted
//! proxy, the address the proxy appended to `X-Forwarded-For`. Anyone else's forwarded
//! header is ignored: a client cannot pick its own identity.

use crate::config::SiteSettings;
use axum::{extract::ConnectInfo, http::Request};
use std::net::{IpAddr, Ipv4Addr, SocketAddr};

pub fn address<B>(request: &Request<B>, settings: &SiteSettings) -> IpAddr {
    let peer = request
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map_or(IpAddr::V4(Ipv4Addr::UNSPECIFIED), |info| info.0.ip());
    if !settings.is_trusted_proxy(peer) {
        return peer;
    }
    // Each proxy appends the address it received from: read from the right, past our own.
    let forwarded: Vec<IpAddr> = request
        .headers()
        .get_all("x-forwarded-for")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(|hop| hop.trim().parse::<IpAddr>().ok())
        .collect::<Option<_>>()
        .unwrap_or_default();
    forwarded
        .iter()
        .rev()
        .find(|hop| !settings.is_trusted_proxy(**hop))
        .or(forwarded.first())
        .copied()
        .unwrap_or(peer)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(peer: &str, forwarded: &[&str]) -> Request<()> {
        let mut request = Request::new(());
        request.extensions_mut().insert(ConnectInfo(
            format!("{peer}:50000").parse::<SocketAddr>().unwrap(),
        ));
        for value in forwarded {
            request
                .headers_mut()
                .append("x-forwarded-for", value.parse().unwrap());
        }
        request
    }

    #[test]
    fn only_a_trusted_proxy_names_the_client() {
        let settings = SiteSettings::parse(
            "[leadistry]\ntrusted-proxies = \"127.0.0.1, 10.0.0.0/8\"",
            &|_| None,
        )
        .unwrap();
        let ip = |s: &str| s.parse::<IpAddr>().unwrap();
        let cases = [
            ("203.0.113.9", &["198.51.100.1"][..], "203.0.113.9"),
            ("127.0.0.1", &[], "127.0.0.1"),
            ("127.0.0.1", &["198.51.100.1"], "198.51.100.1"),
            // The client's own claim is left of what the proxy appended.
            ("127.0.0.1", &["1.2.3.4, 198.51.100.1"], "198.51.100.1"),
            ("127.0.0.1", &["198.51.100.1, 10.0.0.2"], "198.51.100.1"),
            ("127.0.0.1", &["1.2.3.4", "198.51.100.1"], "198.51.100.1"),
            ("127.0.0.1", &["garbage"], "127.0.0.1"),
        ];
        for (peer, forwarded, client) in cases {
            assert_eq!(
                address(&request(peer, forwarded), &settings),
                ip(client),
                "{peer} {forwarded:?}"
            );
        }
        let untrusting = SiteSettings::parse("", &|_| None).unwrap();
        assert_eq!(
            address(&request("127.0.0.1", &["198.51.100.1"]), &untrusting),
            ip("127.0.0.1")
        );
    }
}
