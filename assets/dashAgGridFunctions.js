/* Functions the tables' column definitions name (cockpit/components/table.py): dash-ag-grid looks
   them up here instead of evaluating code sent by the server. */
var dagfuncs = (window.dashAgGridFunctions = window.dashAgGridFunctions || {});

/* A number with `digits` decimals, grouped by thousands; `percent`: × 100 with "%". Blank when missing. */
dagfuncs.cockpitNumber = function (value, digits, percent) {
  if (value === null || value === undefined || value === '' || isNaN(Number(value))) {
    return value === null || value === undefined ? '' : String(value);
  }
  var shown = Number(value) * (percent ? 100 : 1);
  return shown.toLocaleString('zh-CN', { minimumFractionDigits: digits, maximumFractionDigits: digits })
    + (percent ? '%' : '');
};
