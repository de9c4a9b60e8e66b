// Keyboard shortcuts of the judge's queue (templates/judging/_shortcuts.html documents them).
// Everything here is a shortcut to what the plain HTML form already does: without JavaScript the page works.
//   1-9      score the current criterion, then move to the next one
//   J / K    next / previous criterion
//   V        the form's [data-shortcut="v"] button (verify; save in a team-level stage)
//   R        focus the reason ([data-shortcut-focus="r"]); there Ctrl+Enter rejects, Esc goes to Reject
//   S        the [data-shortcut="s"] button (skip)
//   ?        show or hide the list of shortcuts
(function () {
  "use strict";
  var form = document.querySelector("form[data-judge-form]");
  if (!form) return;
  document.documentElement.classList.add("js");

  var criteria = Array.prototype.slice.call(form.querySelectorAll("fieldset.criterion"));
  var current = 0;

  function choices(fieldset) {
    return Array.prototype.slice.call(fieldset.querySelectorAll("input[type=radio]"));
  }

  function focusCriterion(index) {
    if (!criteria.length) return;
    current = Math.max(0, Math.min(criteria.length - 1, index));
    criteria.forEach(function (f, i) {
      f.classList.toggle("current", i === current);
    });
    var fieldset = criteria[current];
    var target =
      fieldset.querySelector("input[type=radio]:checked") ||
      fieldset.querySelector("input[type=radio]") ||
      fieldset.querySelector("input");
    if (target) target.focus();
    fieldset.scrollIntoView({ block: "nearest" });
  }

  function score(digit) {
    if (!criteria.length) return false;
    var fieldset = criteria[current];
    var radios = choices(fieldset);
    if (radios.length) {
      var match = radios.filter(function (r) {
        return r.value === digit;
      })[0];
      if (!match) return false;
      match.checked = true;
      match.dispatchEvent(new Event("change", { bubbles: true }));
    } else {
      var field = fieldset.querySelector("input");
      if (!field) return false;
      field.value = digit;
    }
    if (current < criteria.length - 1) {
      focusCriterion(current + 1);
    } else {
      var verify = form.querySelector('[data-shortcut="v"]');
      if (verify) verify.focus();
      criteria[current].classList.add("current");
    }
    return true;
  }

  function typing(element) {
    if (!element) return false;
    var tag = element.tagName;
    if (tag === "TEXTAREA" || tag === "SELECT" || element.isContentEditable) return true;
    if (tag !== "INPUT") return false;
    var type = (element.getAttribute("type") || "text").toLowerCase();
    return ["radio", "checkbox", "button", "submit", "reset", "hidden"].indexOf(type) < 0;
  }

  function press(selector) {
    var button = document.querySelector(selector);
    if (!button) return false;
    if (button.form && button.form.requestSubmit) {
      button.form.requestSubmit(button);
    } else {
      button.click();
    }
    return true;
  }

  function toggleHelp() {
    var help = document.getElementById("shortcuts");
    if (!help) return;
    help.open = !help.open;
    if (help.open) help.querySelector("summary").focus();
  }

  // A criterion becomes current when the judge tabs or clicks into it.
  criteria.forEach(function (fieldset, i) {
    fieldset.addEventListener("focusin", function () {
      current = i;
      criteria.forEach(function (f, j) {
        f.classList.toggle("current", j === i);
      });
    });
  });

  var reason = form.querySelector('[data-shortcut-focus="r"]');
  if (reason) {
    reason.addEventListener("keydown", function (event) {
      if (event.key === "Enter" && (event.ctrlKey || event.metaKey)) {
        event.preventDefault();
        press("form[data-judge-form] [data-reject]");
      } else if (event.key === "Escape") {
        event.preventDefault();
        var reject = form.querySelector("[data-reject]") || form.querySelector('[data-shortcut="v"]');
        if (reject) reject.focus();
      }
    });
  }

  document.addEventListener("keydown", function (event) {
    if (event.defaultPrevented || event.ctrlKey || event.altKey || event.metaKey) return;
    var text = typing(event.target);
    // A score field typed into is a text field, but digits there are the judge typing.
    if (text) return;
    var key = event.key;
    var handled = false;
    if (/^[0-9]$/.test(key)) {
      handled = score(key);
    } else if (key === "j" || key === "J") {
      focusCriterion(current + (document.activeElement && form.contains(document.activeElement) ? 1 : 0));
      handled = criteria.length > 0;
    } else if (key === "k" || key === "K") {
      focusCriterion(current - 1);
      handled = criteria.length > 0;
    } else if (key === "v" || key === "V") {
      handled = press('form[data-judge-form] [data-shortcut="v"]');
    } else if (key === "r" || key === "R") {
      if (reason) {
        reason.focus();
        handled = true;
      }
    } else if (key === "s" || key === "S") {
      handled = press('[data-shortcut="s"]');
    } else if (key === "?") {
      toggleHelp();
      handled = true;
    }
    if (handled) event.preventDefault();
  });

  if (criteria.length) criteria[0].classList.add("current");
})();
