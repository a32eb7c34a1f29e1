/* The cockpit's live stream: one EventSource per tab on /stream/cockpit (DESIGN section 9).
   A snapshot with a new version sets the snapshot store, which re-renders the widget on the server
   (scope is decided there again). The browser reconnects a dropped stream by itself; when the server
   refuses (503 at the stream cap) the interval fallback takes over and a reconnect is tried later; when
   the session ended, the server says so and the tab goes to the sign-in form. */
(function () {
  var live = { source: null, url: null, version: null, retry: null };
  var RETRY_MS = 10000;

  function setProps(id, props) {
    // Stores render no element: the widget's body tells whether the cockpit is still on screen.
    if (window.dash_clientside && window.dash_clientside.set_props && document.getElementById('cockpit-body')) {
      window.dash_clientside.set_props(id, props);
    }
  }

  function status(text, tone) {
    setProps('cockpit-live-status', { children: text, className: 'badge ms-2 text-bg-' + tone });
  }

  function close() {
    if (live.source) { live.source.close(); }
    live.source = null;
    live.url = null;
    if (live.retry) { clearTimeout(live.retry); live.retry = null; }
  }

  function open(url) {
    close();
    var source = new EventSource(url);
    live.source = source;
    live.url = url;
    source.onopen = function () { status('live', 'success'); };
    source.addEventListener('snapshot', function (e) {
      if (live.source !== source) { return; }
      status('live', 'success');
      if (live.version !== null && e.lastEventId !== live.version) {
        setProps('cockpit-live-snapshot', { data: { version: e.lastEventId, at: Date.now() } });
      }
      live.version = e.lastEventId;
    });
    source.addEventListener('signed-out', function () {  // the session ended (sign-out elsewhere, password, deactivation)
      close();
      window.location.assign('/login?next=' + encodeURIComponent(window.location.pathname + window.location.search));
    });
    source.onerror = function () {
      if (live.source !== source) { return; }
      if (source.readyState === EventSource.CLOSED) {  // refused (e.g. 503): poll, and try again later
        status('refreshing every 30 s', 'secondary');
        setProps('cockpit-refresh', { disabled: false });
        live.retry = setTimeout(function () { if (live.url === url) { open(url); } }, RETRY_MS);
      } else {
        status('reconnecting…', 'warning');
      }
    };
  }

  // Leaving the cockpit (in-app navigation) closes the stream: a tab keeps at most one.
  setInterval(function () {
    if (live.source && !document.getElementById('cockpit-body')) { close(); live.version = null; }
  }, 1000);

  window.dash_clientside = Object.assign({}, window.dash_clientside, {
    cockpit: {
      connect: function (period, team, view) {
        var noUpdate = window.dash_clientside.no_update;
        if (!window.EventSource) { return ['refreshing every 30 s', false]; }
        var params = new URLSearchParams();
        params.set('period', period || '7d');
        if (team !== null && team !== undefined && team !== '') { params.set('team', team); }
        if (view && view.member && (view.team === team || (view.team == null && team == null))) {
          params.set('member', view.member);
        }
        var url = '/stream/cockpit?' + params.toString();
        if (live.source && live.url === url) { return [noUpdate, true]; }
        live.version = null;
        open(url);
        return ['connecting…', true];
      }
    }
  });
})();
