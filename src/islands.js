// Loads and hydrates the consent islands only when they are about to be used: on intent
// toward a consent control, or, while the banner asks, once the browser is idle after load.
// Nothing is fetched before that (and nothing at all without JavaScript). A submit or a
// "Cookie Settings" click that comes first is held and replayed once the islands have
// hydrated; if they cannot be within 3 s, it goes ahead as the plain form post or link it is.
((js, wasm) => {
  const CONTROL = "[data-consent-control]";
  const HOLD_MS = 3000;
  let loading = null;
  let ready = false;
  const held = [];
  const plain = new WeakSet();

  // Leptos' island protocol: each <leptos-island> is hydrated by the exported function its
  // data-component names; <leptos-children> inside one carries a hook for nested islands.
  const hooks = [];
  async function walk(node, mod) {
    for (const child of node.children) {
      if (child.tagName === "LEPTOS-ISLAND") {
        hooks.at(-1)?.();
        const island = mod[child.dataset.component];
        if (island) await island(child);
        else console.warn(`no WASM function for the island ${child.dataset.component}`);
      } else if (child.tagName === "LEPTOS-CHILDREN") {
        hooks.push(child.$$on_hydrate);
        await walk(child, mod);
        hooks.pop();
        continue;
      }
      await walk(child, mod);
    }
  }

  function release(action) {
    if (action.done) return;
    action.done = true;
    clearTimeout(action.timer);
    action.run();
  }

  function load() {
    loading ??= import(js)
      .then(async (mod) => {
        await mod.default({ module_or_path: wasm });
        mod.hydrate();
        await walk(document.body, mod);
        ready = true;
      })
      // Replay after the islands' own zero-delay work (the browser's GPC signal).
      .then(
        () => setTimeout(() => held.splice(0).forEach(release)),
        () => held.splice(0).forEach(release),
      );
    return loading;
  }

  // `run(true)` replays the action through the islands, `run(false)` does it plainly.
  function hold(run) {
    const action = { done: false, run: () => run(ready) };
    action.timer = setTimeout(() => release(action), HOLD_MS);
    held.push(action);
    load();
  }

  for (const type of ["pointerover", "pointerdown", "touchstart", "focusin", "keydown"]) {
    addEventListener(type, (e) => e.target.closest?.(CONTROL) && load(), {
      capture: true,
      passive: true,
    });
  }

  addEventListener("submit", (e) => {
    const form = e.target;
    if (ready || plain.has(form) || !form.matches(CONTROL)) return;
    e.preventDefault();
    const submitter = e.submitter;
    hold((hydrated) => {
      if (!hydrated) plain.add(form);
      form.requestSubmit(submitter);
    });
  }, true);

  addEventListener("click", (e) => {
    const link = e.target.closest?.(`a${CONTROL}`);
    if (ready || !link || e.button || e.ctrlKey || e.metaKey || e.shiftKey || e.altKey) return;
    e.preventDefault();
    hold((hydrated) => (hydrated ? link.click() : location.assign(link.href)));
  }, true);

  // An undecided visitor is about to choose: have the islands ready, once the page has
  // painted (compiling the WASM would compete with the first paint for the processor).
  const idle = () => (window.requestIdleCallback ? requestIdleCallback(load) : setTimeout(load, 200));
  addEventListener("load", () => {
    if (!document.querySelector(".cookie-banner")) return;
    if (!window.PerformanceObserver?.supportedEntryTypes?.includes("paint")) return idle();
    new PerformanceObserver((list, observer) => {
      if (!list.getEntriesByName("first-contentful-paint").length) return;
      observer.disconnect();
      idle();
    }).observe({ type: "paint", buffered: true });
  });
})
