// Ledgerport console: progressive enhancement only. Every page works without this file.
'use strict';
(function () {
  // Forms that ask before they act (disconnect, retry all).
  document.addEventListener('submit', function (event) {
    var form = event.target;
    var question = form && form.getAttribute && form.getAttribute('data-confirm');
    if (question && !window.confirm(question)) event.preventDefault();
  });

  var url = document.body && document.body.getAttribute('data-live');
  if (!url || !window.EventSource) return;
  var region = document.getElementById('live-region');
  var notices = document.getElementById('notices');
  var timer = null;

  // Someone is typing in a form: leave the page alone until they are done.
  function busy() {
    var active = document.activeElement;
    return active && region.contains(active) && /^(INPUT|SELECT|TEXTAREA)$/.test(active.tagName);
  }

  function refresh() {
    timer = null;
    // A form being filled in is not a live view: a refresh would throw away what was typed.
    if (region.querySelector('[data-live-refresh="off"]')) return;
    if (busy()) { timer = setTimeout(refresh, 2000); return; }
    fetch(window.location.href, { credentials: 'same-origin', headers: { accept: 'text/html' } })
      .then(function (res) { return res.ok ? res.text() : null; })
      .then(function (text) {
        if (!text) return;
        var fresh = new DOMParser().parseFromString(text, 'text/html').getElementById('live-region');
        if (fresh) { region.innerHTML = fresh.innerHTML; document.body.setAttribute('data-refreshed', String(Date.now())); }
      })
      .catch(function () { /* the next change tries again */ });
  }

  function notify(message) {
    var p = document.createElement('p');
    p.className = 'notice';
    p.textContent = message;
    notices.appendChild(p);
    while (notices.children.length > 3) notices.removeChild(notices.firstChild);
  }

  var source = new EventSource(url);
  source.addEventListener('ready', function () { document.body.setAttribute('data-live-ready', 'true'); });
  source.addEventListener('change', function () { if (!timer) timer = setTimeout(refresh, 300); });
  source.addEventListener('run-finished', function (event) { notify(event.data); });
})();
