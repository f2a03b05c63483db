/* Browser-side helpers (no network): the frame's class per page, the big screen's scaling. */
window.dash_clientside = Object.assign({}, window.dash_clientside, {
  cockpit: {
    // the big screen draws its own header on a fixed canvas; other pages get the frame's
    frameClass: function (pathname) {
      return (pathname === "/" || pathname === "") ? "frame frame--screen" : "frame";
    },
  },
});
