/* What the AG Grid tables (components/grids.py) need in the browser, served from this origin so the
   Content-Security-Policy allows it: a link cell, and the CSV cell guard of client-side downloads. */
(function () {
  var components = (window.dashAgGridComponentFunctions = window.dashAgGridComponentFunctions || {});
  var functions = (window.dashAgGridFunctions = window.dashAgGridFunctions || {});

  // A cell showing its value as a link to the row's "<field>__href" (the server leaves it out where the
  // caller may not follow it: then the value is plain text).
  components.Link = function (props) {
    var href = props.data && props.data[props.colDef.field + '__href'];
    var text = props.valueFormatted !== undefined && props.valueFormatted !== null ? props.valueFormatted : props.value;
    if (!href) {
      return React.createElement('span', null, text);
    }
    return React.createElement('a', { href: href, className: 'grid-link' }, text);
  };

  // The look of every grid: the page's font and Bootstrap's colours, and tighter cells than AG Grid's
  // default, so the leads grid's ten columns fit a 1,280 px screen without cutting their values.
  functions.cockpitTheme = function (agGrid) {
    return agGrid.themeQuartz.withParams({
      fontFamily: ['system-ui', '-apple-system', 'Segoe UI', 'Roboto', 'Helvetica Neue', 'Arial', 'sans-serif'],
      fontSize: 14, headerFontSize: 14, headerFontWeight: 600, spacing: 6, cellHorizontalPaddingScale: 0.8,
      headerBackgroundColor: '#f1f3f5', accentColor: '#0d6efd', wrapperBorderRadius: 6
    });
  };

  // A spreadsheet runs a cell starting with = + - @ tab CR or LF as a formula: such text gets a leading
  // quote, as the server's exports do (services/exports.py neutralise). Numbers stay numbers.
  functions.neutraliseCsvCell = function (params) {
    var value = params.value;
    if (typeof value === 'string' && /^[=+\-@\t\r\n]/.test(value)) {
      return "'" + value;
    }
    return value;
  };
})();
