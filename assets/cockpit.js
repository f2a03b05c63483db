/* Browser-side helpers, no network: the frame's class per page, the big screen's scaling, board
   rotation and counters that roll to their new values. */
// the path prefix Dash serves under (its config, written into the page by Dash), without the last "/"
function dashPrefix() {
  const el = document.getElementById("_dash-config");
  try { return ((el && JSON.parse(el.textContent).requests_pathname_prefix) || "/").replace(/\/$/, ""); }
  catch (e) { return ""; }
}

window.dash_clientside = Object.assign({}, window.dash_clientside, {
  cockpit: {
    // the big screen draws its own header on a fixed canvas, the phone view its own compact one;
    // other pages get the frame's. Compared after Dash's path prefix, whatever it is.
    frameClass: function (pathname) {
      const prefix = dashPrefix();
      const path = (pathname || "/").slice(pathname && pathname.indexOf(prefix) === 0 ? prefix.length : 0)
        .replace(/\/$/, "") || "/";
      if (path === "/") { return "frame frame--screen"; }
      return path === "/m" ? "frame frame--mobile" : "frame";
    },
    // the phone view: a tapped incident's course is drawn at the top; bring it into view
    showCourse: function (title) {
      const box = document.getElementById("m-course-box");
      if (title && box && !box.hidden) { box.scrollIntoView({block: "start"}); }
      return window.dash_clientside.no_update;
    },
    // the tick advances the board on show; a click on a tab shows that board
    rotateBoards: function (tick, c0, c1, c2, c3, active) {
      const ctx = window.dash_clientside.callback_context;
      const trigger = ctx.triggered.length ? ctx.triggered[0].prop_id : "";
      const tabs = ["screen-tab-party", "screen-tab-safety", "screen-tab-livelihood", "screen-tab-business"];
      let next = active || 0;
      const tab = tabs.findIndex(function (t) { return trigger.indexOf(t + ".") === 0; });
      if (tab >= 0) { next = tab; } else if (trigger.indexOf("screen-board-tick") === 0) { next = (next + 1) % 4; }
      return ["panel boards boards--" + next, next];
    },
  },
});

(function () {
  // Scale the 1920×1080 canvas to the window, keeping its proportions. A wall much wider than
  // 16:9 (32:9, 48:9 LED walls) gets a canvas as wide as the wall at 1080 px high and a layout with
  // more columns (cockpit.css, html[data-wall]), rather than a 16:9 canvas in its left third.
  const WIDE = 2.4;        // from this aspect ratio on (21:9 is 2.33): the wide layouts
  const WIDER = 4.2;       // 48:9 (5.33) and beyond: the left column's charts side by side too
  function scaleScreen() {
    const w = window.innerWidth, h = window.innerHeight, ratio = w / h, root = document.documentElement;
    if (ratio >= WIDE) {
      root.dataset.wall = ratio >= WIDER ? "wider" : "wide";
      root.style.setProperty("--screen-width", Math.round(1080 * ratio) + "px");
      root.style.setProperty("--screen-scale", String(h / 1080));
    } else {
      delete root.dataset.wall;
      root.style.setProperty("--screen-width", "1920px");
      root.style.setProperty("--screen-scale", String(Math.min(w / 1920, h / 1080)));
    }
  }
  window.addEventListener("resize", scaleScreen);
  scaleScreen();

  // Counters roll from their old value to the new one. The server writes the final text; this
  // only animates towards it and always ends on exactly that text.
  const last = new WeakMap();
  function parse(text) {
    const t = (text || "").replace(/,/g, "");
    return /^-?\d+(\.\d+)?$/.test(t) ? parseFloat(t) : null;
  }
  function roll(el, target) {
    const to = parse(target), from = last.get(el);
    last.set(el, to);
    if (to === null || from === null || from === undefined || from === to) { return; }
    const decimals = (target.split(".")[1] || "").length, t0 = performance.now(), ms = 900;
    let frames = 0;
    el.dataset.rolling = "1";
    function frame(now) {
      // a busy browser can stall past the whole roll between two frames: still show a few
      // steps on the way (at most a quarter of the way per frame) rather than jump to the end
      frames += 1;
      const k = Math.min(1, (now - t0) / ms, frames / 4), v = from + (to - from) * (1 - Math.pow(1 - k, 3));
      // change the text node React owns, never replace it (React keeps writing to that node)
      const node = el.firstChild;
      if (!node || node.nodeType !== 3) { delete el.dataset.rolling; return; }
      node.nodeValue = k < 1 ? v.toLocaleString("en-US", {minimumFractionDigits: decimals,
        maximumFractionDigits: decimals}) : target;
      if (k < 1) { requestAnimationFrame(frame); } else { delete el.dataset.rolling; }
    }
    requestAnimationFrame(frame);
  }
  new MutationObserver(function (mutations) {
    mutations.forEach(function (m) {
      const el = m.target.nodeType === 3 ? m.target.parentElement : m.target;
      if (el && el.classList && el.classList.contains("counter-value") && !el.dataset.rolling) {
        roll(el, el.textContent);
      }
    });
  }).observe(document.documentElement, {subtree: true, childList: true, characterData: true});
})();

(function () {
  // Every page: when the server answers a request "not signed in" (401: the session ended or was
  // ended), show the login page, which brings the browser back here once signed in, rather than
  // a page that silently stops updating. While the server cannot be reached (a restart, a network
  // cut: a failed fetch or a proxy's 5xx), nothing changes: the page keeps its last data, and
  // its next poll that gets an answer redraws it.
  const state = {down: false, rendered: null, leaving: false};
  window.cockpitServer = state;            // read by the tests and by the wall's rotation below
  const realFetch = window.fetch;
  function sameServer(url) {
    try { return new URL(url, window.location.href).origin === window.location.origin; }
    catch (e) { return false; }
  }
  function isPageRender(init) {
    return !!(init && typeof init.body === "string" && init.body.indexOf("_pages_content.children") >= 0);
  }
  function toLogin() {
    if (state.leaving) { return; }                  // several answers at once: one navigation
    state.leaving = true;
    const prefix = dashPrefix(), path = window.location.pathname;
    const here = (path.indexOf(prefix) === 0 ? path.slice(prefix.length) : path) || "/";
    window.location.assign(prefix + "/login?next=" + encodeURIComponent(here + window.location.search));
  }
  // a page whose drawing failed (no answer): back to the path of the page still on show, so
  // the address, the frame's class and the content agree
  function backToRendered() {
    if (state.rendered && state.rendered !== window.location.pathname) {
      window.history.replaceState(null, "", state.rendered);
      window.dispatchEvent(new CustomEvent("_dashprivate_pushstate"));
    }
  }
  window.fetch = function (input, init) {
    const url = typeof input === "string" ? input : (input && input.url) || "";
    const render = isPageRender(init), path = window.location.pathname;
    return realFetch.apply(this, arguments).then(function (response) {
      if (sameServer(url) && !state.leaving) {
        if (response.status === 401) {
          toLogin();
        } else {
          state.down = response.status >= 500;
          if (render) { if (response.ok) { state.rendered = path; } else { backToRendered(); } }
        }
      }
      return response;
    }, function (error) {
      if (sameServer(url) && !state.leaving) {
        state.down = true;
        if (render) { backToRendered(); }
      }
      throw error;
    });
  };
})();

(function () {
  // A wall screen (an account of kind kiosk: the frame carries #frame-kiosk with its pages and
  // seconds): full screen without navigation, turning through the centre's pages in the
  // browser (the next page is drawn as a link would draw it: no reload, no request of its own
  // beyond the page's data). While the server does not answer it stays on the page on show.
  // Pages other than the big screen are drawn as at 1920×1080 and scaled to the wall, made
  // wider and smaller (down to FLOOR of that scale) when taller than the wall; what still does
  // not fit glides into view during the page's turn, with no scrollbar.
  const FLOOR = 0.6;
  const root = document.documentElement;
  let visit = null;             // the page on show: {path, since, shift}

  function normal(path) { return (path || "/").replace(/\/+$/, "") || "/"; }

  function settings() {
    const el = document.getElementById("frame-kiosk");
    if (!el) { return null; }
    return {pages: (el.dataset.pages || "").split(" ").filter(Boolean),
            seconds: Math.max(5, parseInt(el.dataset.seconds, 10) || 60)};
  }

  function go(page) {
    window.history.replaceState(null, "", page);      // no history to grow over weeks
    window.dispatchEvent(new CustomEvent("_dashprivate_pushstate"));
  }

  function style(name, value) { root.style.setProperty(name, value); }

  // the page's scale, worked out afresh on every tick from what is drawn now (a page is drawn in
  // steps, and for a moment after a turn the last page's content is still there): the same
  // content gives the same scale, so nothing moves once the page is drawn
  function fit(frame, slot, screen) {
    if (screen) {                                        // the big screen scales itself
      root.classList.remove("kiosk-page");
      return;
    }
    root.classList.add("kiosk-page");
    const w = window.innerWidth, h = window.innerHeight, base = Math.min(w / 1920, h / 1080);
    let zoom = base;
    for (let i = 0; i < 4; i += 1) {                    // wider reflows shorter: settle in a few steps
      style("--kiosk-zoom", String(zoom));
      style("--kiosk-width", (w / zoom) + "px");
      style("--kiosk-height", (h / zoom) + "px");
      const tall = frame.offsetHeight * zoom;
      const next = Math.max(base * FLOOR, zoom * h / tall);
      if (tall <= h + 1 || next >= zoom - 0.001) { break; }
      zoom = next;
    }
    const overflow = Math.max(0, frame.offsetHeight * zoom - h);
    const phase = ((Date.now() - visit.since) / 1000) % slot;
    const shift = overflow > 0 && phase >= slot * 0.2 ? overflow : 0;
    if (shift !== visit.shift) {
      style("--kiosk-glide", (visit.shift === null ? 0 : slot * 0.35) + "s");
      style("--kiosk-shift", -shift + "px");
      visit.shift = shift;
    }
  }

  function tick() {
    const config = settings(), frame = document.getElementById("frame");
    if (!config || !frame) {
      root.classList.remove("kiosk", "kiosk-page");
      visit = null;
      return;
    }
    root.classList.add("kiosk");
    const here = normal(window.location.pathname);
    if (!visit || visit.path !== here) { visit = {path: here, since: Date.now(), shift: null}; }
    fit(frame, config.seconds, here === normal(dashPrefix() + "/"));
    const pages = config.pages.map(normal);
    const server = window.cockpitServer;
    if (pages.length < 2 || Date.now() - visit.since < config.seconds * 1000 || server.down || server.leaving) {
      return;
    }
    const at = pages.indexOf(here);
    go(config.pages[(at + 1) % pages.length]);       // a page not in the list: the first one
    tick();                                          // the new page's frame at once, not a second later
  }
  window.setInterval(tick, 1000);
})();
