// Answers the consent controls from the first paint, and loads and hydrates the consent
// islands only when they are about to be used: on intent toward a consent control, or, while
// the banner asks, once the browser is idle after load. Nothing is fetched before that (and
// nothing at all without JavaScript), and nothing on a slow link, where the bundle would take
// more than a second to arrive by the browser's own estimate of the link.
// - Accept or Reject in the banner before the islands are ready is saved at once with one
//   request of the form's own fields, as the islands save it (`Consent::submit`); the banner
//   goes when the answer comes, Clarity loads if allowed, and the islands, when they hydrate,
//   take the answer (`window.leadistryEarlySave`) as the page's state.
// - What needs the islands (the preferences dialog, the settings page's form in place) waits
//   for them only while they are near: on a slow link it goes ahead at once as the plain link
//   or form post it is (one round-trip), and a held one goes ahead after a second.
// Every control taken this way says so at once: `data-busy` and `aria-busy`, and a polite
// status line (`#consent-status`, outside the islands).
//
// The island walk (`walk`) follows Leptos 0.8.23: `hydrateIslands` in leptos-rs/leptos
// leptos/src/hydration/island_script.js as the leptos 0.8.23 crate ships it (commit 8298e2b),
// over the markup tachys 0.2.19 writes (tachys/src/html/islands.rs). It differs in when it
// runs (on intent, not on idle) and in exposing no `__hydrateIsland` (no islands router here).
// tests/islands.rs fails when Cargo.lock names another leptos or tachys: re-check `walk`
// against those two files at the new versions, then name the versions here.
((js, wasm, wasmBytes) => {
  const CONTROL = "[data-consent-control]";
  const HOLD_MS = 1000;
  const root = document.documentElement;
  let loading = null;
  let ready = false;
  let saving = false;
  const held = [];
  const plain = new WeakSet();

  // Leptos' island protocol: each <leptos-island> is hydrated by the exported function its
  // data-component names, after the hook of the <leptos-children> around it (nested islands).
  const hooks = [];
  async function walk(node, mod) {
    for (const child of node.children) {
      if (child.tagName === "LEPTOS-ISLAND") {
        const island = mod[child.dataset.component];
        if (island) {
          hooks.at(-1)?.();
          await island(child);
        } else console.warn(`no WASM function for the island ${child.dataset.component}`);
      } else if (child.tagName === "LEPTOS-CHILDREN") {
        hooks.push(child.$$on_hydrate);
        await walk(child, mod);
        hooks.pop();
        continue;
      }
      await walk(child, mod);
    }
  }

  function load() {
    loading ??= import(js)
      .then(async (mod) => {
        await mod.default({ module_or_path: wasm });
        mod.hydrate();
        await walk(document.body, mod);
        ready = true;
      })
      // Replay after the islands' own zero-delay work (the browser's GPC signal, an early save).
      .then(
        () => setTimeout(() => held.splice(0).forEach(release)),
        () => held.splice(0).forEach(release),
      );
    return loading;
  }

  // The status line says what a control taken early is doing; its texts come with the page.
  function say(key) {
    const line = document.getElementById("consent-status");
    if (line) line.textContent = (key && line.dataset[key]) || "";
  }

  function busy(control, submitter, on) {
    for (const element of [control, submitter]) {
      if (!element) continue;
      element.toggleAttribute("data-busy", on);
      if (on) element.setAttribute("aria-busy", "true");
      else element.removeAttribute("aria-busy");
    }
  }

  function release(action) {
    if (action.done) return;
    action.done = true;
    clearTimeout(action.timer);
    action.run();
  }

  // The bundle has arrived (its response is complete), so the islands are compiling.
  const arrived = () => performance.getEntriesByType("resource").some((e) => e.name.endsWith(wasm));
  // The bundle would arrive within a second, by the browser's own estimate of the link
  // (round-trip and throughput, `navigator.connection`); without one, it is taken to.
  function near() {
    const link = navigator.connection;
    if (!link?.downlink) return true;
    return link.rtt + (wasmBytes * 8) / (link.downlink * 1000) <= HOLD_MS;
  }

  // `run(true)` does the action through the islands, `run(false)` plainly; held only while
  // the islands are near.
  function whenReady(run) {
    if (!ready && !arrived() && !near()) return run(false);
    load();
    const action = { done: false, run: () => run(ready) };
    action.timer = setTimeout(() => release(action), HOLD_MS);
    held.push(action);
  }

  // Clarity's loader, as the save's answer carries it once analytics is granted (no page
  // carries it before); the islands do not run it again (`analytics::run`).
  function loadClarity(loader) {
    if (!loader || document.getElementById("clarity-early")) return;
    const script = document.createElement("script");
    script.id = "clarity-early"; // allowed by its hash in the page's policy
    script.text = loader;
    document.head.append(script);
  }

  // The banner's decision, posted as `Consent::submit` posts it.
  function saveEarly(form, submitter) {
    saving = true;
    busy(form, submitter, true);
    root.removeAttribute("data-consent-failed");
    say("saving");
    const fields = new FormData(form);
    if (submitter?.name) fields.append(submitter.name, submitter.value);
    const save = fetch(form.action, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded", accept: "application/json" },
      body: String(new URLSearchParams(fields)),
    }).then((response) => {
      if (!response.ok) throw new Error(`status ${response.status}`);
      return response.json();
    });
    window.leadistryEarlySave = save;
    save.then(
      (answer) => {
        root.setAttribute("data-consent-saved", "");
        say("saved");
        loadClarity(answer.clarity_loader);
      },
      (error) => {
        console.warn(`consent not saved: ${error}`);
        root.setAttribute("data-consent-failed", "");
        say("failed");
        busy(form, submitter, false);
        saving = false;
      },
    );
  }

  for (const type of ["pointerover", "pointerdown", "touchstart", "focusin", "keydown"]) {
    addEventListener(type, (e) => e.target.closest?.(CONTROL) && near() && load(), {
      capture: true,
      passive: true,
    });
  }

  addEventListener("submit", (e) => {
    const form = e.target;
    if (ready || !form.matches(CONTROL)) return;
    // One click, one decision: nothing more while one is under way, or posted plainly.
    if (plain.has(form)) return form.hasAttribute("aria-busy") && e.preventDefault();
    e.preventDefault();
    if (saving || form.hasAttribute("aria-busy")) return;
    const submitter = e.submitter;
    if (form.closest(".cookie-banner")) return saveEarly(form, submitter);
    busy(form, submitter, true);
    say("saving");
    whenReady((hydrated) => {
      busy(form, submitter, false);
      if (!hydrated) plain.add(form);
      form.requestSubmit(submitter);
      if (!hydrated) busy(form, submitter, true); // until the next page
    });
  }, true);

  addEventListener("click", (e) => {
    const link = e.target.closest?.(`a${CONTROL}`);
    if (ready || !link || e.button || e.ctrlKey || e.metaKey || e.shiftKey || e.altKey) return;
    e.preventDefault();
    if (link.hasAttribute("aria-busy")) return;
    busy(link, null, true);
    say("opening");
    whenReady((hydrated) => {
      if (!hydrated) return location.assign(link.href);
      busy(link, null, false);
      say();
      link.click();
    });
  }, true);

  // A page restored from the back/forward cache is not waiting for anything.
  addEventListener("pageshow", (e) => {
    if (!e.persisted) return;
    for (const element of document.querySelectorAll("[data-busy]")) busy(element, null, false);
    say();
  });

  // An undecided visitor is about to choose: have the islands ready, once the page has
  // painted (compiling the WASM would compete with the first paint for the processor).
  const idle = () => (window.requestIdleCallback ? requestIdleCallback(load) : setTimeout(load, 200));
  addEventListener("load", () => {
    if (!document.querySelector(".cookie-banner") || !near()) return;
    if (!window.PerformanceObserver?.supportedEntryTypes?.includes("paint")) return idle();
    new PerformanceObserver((list, observer) => {
      if (!list.getEntriesByName("first-contentful-paint").length) return;
      observer.disconnect();
      idle();
    }).observe({ type: "paint", buffered: true });
  });
})
