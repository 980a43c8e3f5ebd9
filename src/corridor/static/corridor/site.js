// Corridor's page behaviour, kept out of the HTML so that the Content-Security-Policy can refuse
// every inline script (script-src 'self').
(function () {
  "use strict";
  // The reader's time zone, for dates shown in local time (corridor.core.timezones).
  try {
    var tz = Intl.DateTimeFormat().resolvedOptions().timeZone;
    if (tz) document.cookie = "tz=" + tz + ";path=/;max-age=31536000;samesite=lax";
  } catch (e) { /* an old browser: the server's default zone applies */ }

  // The language switcher submits as soon as a language is picked (mouse, touch). From the
  // keyboard, ArrowDown already changes a closed list's value: submitting then would reload the
  // page at every key, so a keyboard change waits for Enter or the "Go" button it reveals.
  var changedByKey = false;
  function isSwitcher(el) {
    return el && el.matches && el.matches("select[data-autosubmit]");
  }
  document.addEventListener("pointerdown", function (event) {
    if (isSwitcher(event.target)) changedByKey = false;
  }, true);
  document.addEventListener("keydown", function (event) {
    if (!isSwitcher(event.target)) return;
    if (event.key === "Enter") {
      event.preventDefault();
      event.target.form.submit();
      return;
    }
    changedByKey = true;
  }, true);
  document.addEventListener("change", function (event) {
    var el = event.target;
    if (!isSwitcher(el)) return;
    if (!changedByKey) {
      el.form.submit();
      return;
    }
    var go = el.form.querySelector("[data-autosubmit-go]");
    if (go) go.hidden = false;
  });
  document.addEventListener("DOMContentLoaded", function () {
    // With JavaScript the button hides until a keyboard change needs it (without, it stays).
    var buttons = document.querySelectorAll("[data-autosubmit-go]");
    for (var i = 0; i < buttons.length; i++) buttons[i].hidden = true;
  });

  // A form that asks before doing something hard to undo (data-confirm="question").
  document.addEventListener("submit", function (event) {
    var form = event.target;
    var question = form && form.dataset ? form.dataset.confirm : null;
    if (question && !window.confirm(question.replace(/\\'/g, "'"))) event.preventDefault();
  });

  // A personal link shown once is selected with one tap, ready to copy.
  document.addEventListener("focusin", function (event) {
    var el = event.target;
    if (el && el.matches && el.matches("input.copy-link")) el.select();
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
