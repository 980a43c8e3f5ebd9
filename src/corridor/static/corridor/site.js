// Corridor's page behaviour, kept out of the HTML so that the Content-Security-Policy can refuse
// every inline script (script-src 'self').
(function () {
  "use strict";
  // The reader's time zone, for dates shown in local time (corridor.core.timezones).
  try {
    var tz = Intl.DateTimeFormat().resolvedOptions().timeZone;
    if (tz) document.cookie = "tz=" + tz + ";path=/;max-age=31536000;samesite=lax";
  } catch (e) { /* an old browser: the server's default zone applies */ }

  document.addEventListener("change", function (event) {
    var el = event.target;
    // The language switcher submits as soon as a language is chosen (a button without JS).
    if (el && el.matches && el.matches("select[data-autosubmit]")) el.form.submit();
  });

  document.addEventListener("click", function (event) {
    var button = event.target.closest ? event.target.closest("button.hs-pick") : null;
    if (!button) return;
    // An HS suggestion fills the code field of the form.
    var field = document.getElementById("id_hs_code");
    if (!field) return;
    field.value = button.dataset.code;
    field.dispatchEvent(new Event("change", { bubbles: true }));
  });
})();
