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
