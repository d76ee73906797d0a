/* ctsnode ui: small progressive enhancements. Every page works without it. */
(function () {
	'use strict';

	/* A background job (synchronisation, reception, audit): follow its
	 * progress without reloading, then show the outcome. */
	var job = document.querySelector('[data-job]');
	if (job && window.fetch) {
		var phase = document.getElementById('job-phase');
		var poll = function () {
			fetch(job.getAttribute('data-job'), { credentials: 'same-origin', cache: 'no-store' })
				.then(function (r) { return r.json(); })
				.then(function (s) {
					if (!s.running) {
						window.location.reload();
						return;
					}
					var t = s.phase + (s.total ? ' : ' + s.done + ' sur ' + s.total : (s.done ? ' : ' + s.done : ''));
					if (phase && phase.textContent !== t)
						phase.textContent = t;
					window.setTimeout(poll, 1000);
				})
				.catch(function () { window.setTimeout(poll, 2000); });
		};
		window.setTimeout(poll, 1000);
	}

	/* The error summary takes the focus (autofocus does it where supported). */
	var summary = document.getElementById('erreurs');
	if (summary && document.activeElement !== summary)
		summary.focus();

	/* One click, one submission. */
	document.addEventListener('submit', function (e) {
		var f = e.target;
		if (f.getAttribute('data-sent')) {
			e.preventDefault();
			return;
		}
		f.setAttribute('data-sent', '1');
	});
	window.addEventListener('pageshow', function () {
		var sent = document.querySelectorAll('form[data-sent]');
		for (var i = 0; i < sent.length; i++)
			sent[i].removeAttribute('data-sent');
	});
})();
