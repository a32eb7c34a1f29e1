/* The work lists' AG Grids (tasks inbox, operations): the buttons of a row, and reading a grid's rows
   again after an action. A file of this origin rather than inline code, so the page's CSP lets it run. */
(function () {
  "use strict";
  var components = (window.dashAgGridComponentFunctions = window.dashAgGridComponentFunctions || {});

  /* The buttons the column offers (cellRendererParams.buttons) that this row allows (data.actions); a
     press reports {action} to the server as the grid's cellRendererData, with the row's id. */
  components.RowActions = function (props) {
    var offered = (props.colDef.cellRendererParams || {}).buttons || [];
    var allowed = (props.data && props.data.actions) || [];
    var buttons = offered.filter(function (b) { return allowed.indexOf(b.action) >= 0; }).map(function (b) {
      return React.createElement("button", {
        key: b.action, type: "button", "data-action": b.action,
        className: "btn btn-sm py-0 px-1 me-1 btn-outline-" + (b.color || "secondary"),
        onClick: function (event) { event.stopPropagation(); props.setData({action: b.action}); }
      }, b.label);
    });
    return React.createElement("span", {className: "row-actions"}, buttons);
  };

  var clientside = (window.dash_clientside = window.dash_clientside || {});
  clientside.grids = {
    /* `changed` is {"grids": [ids], "at": time}, set by the server after an action; or anything (a
       search text) with the id of the one grid to refresh. */
    refresh: function (changed, gridId) {
      (gridId ? [gridId] : ((changed && changed.grids) || [])).forEach(function (id) {
        var api = null;
        try { api = window.dash_ag_grid.getApi(id); } catch (error) { api = null; }  /* a tab not shown */
        if (api) { api.refreshInfiniteCache(); api.deselectAll(); }
      });
      return Date.now();
    }
  };
})();
