// The subscribe page's script, included inline by web/index.html.  The page is complete without
// it; it adds what only the visitor's browser knows:
// - each <time class="visitor" datetime="...Z"> becomes that instant in the visitor's own zone,
//   "13:00 your time (Europe/Berlin)", with the date when it is not the day's own date;
// - "in N days" is recounted from the visitor's date, since an exported page may be days old;
// - the copy buttons appear and copy the calendar address.
(function () {
  "use strict";
  var MONTHS = ["January", "February", "March", "April", "May", "June", "July", "August",
    "September", "October", "November", "December"];
  var DAY = 86400000;
  var zone, format;
  try {
    zone = new Intl.DateTimeFormat().resolvedOptions().timeZone;
    // Parts, not a formatted string: the words stay English and the same in every browser.
    format = new Intl.DateTimeFormat("en-GB", {
      timeZone: zone, hourCycle: "h23", weekday: "long", year: "numeric", month: "2-digit",
      day: "2-digit", hour: "2-digit", minute: "2-digit"
    });
  } catch (error) {
    zone = "";
  }

  function parts(instant) {
    var out = {};
    format.formatToParts(instant).forEach(function (part) { out[part.type] = part.value; });
    out.iso = out.year + "-" + out.month + "-" + out.day;
    out.date = out.weekday + " " + parseInt(out.day, 10) + " " + MONTHS[parseInt(out.month, 10) - 1];
    return out;
  }

  function dayNumber(iso) {
    var bits = iso.split("-");
    return Date.UTC(+bits[0], +bits[1] - 1, +bits[2]) / DAY;
  }

  function words(days) {
    if (days === 0) { return "today"; }
    if (days === 1) { return "tomorrow"; }
    if (days === -1) { return "yesterday"; }
    return days > 0 ? "in " + days + " days" : -days + " days ago";
  }

  if (zone) {
    document.querySelectorAll("time.visitor[datetime]").forEach(function (element) {
      var when = new Date(element.getAttribute("datetime"));
      if (isNaN(when.getTime())) { return; }
      var here = parts(when);
      var text = here.hour + ":" + here.minute + " your time (" + zone + ")";
      if (here.iso !== element.getAttribute("data-day")) { text += ", " + here.date; }
      element.textContent = text;
    });

    var now = parts(new Date());
    var today = dayNumber(now.iso);
    document.querySelectorAll(".when[data-date]").forEach(function (element) {
      var days = Math.round(dayNumber(element.getAttribute("data-date")) - today);
      element.textContent = words(days);
      var item = element.closest(".item");
      if (item) {
        item.classList.toggle("today", days === 0);
        item.classList.toggle("past", days < 0);
      }
    });
    var counted = document.getElementById("counted-from");
    if (counted && counted.getAttribute("data-today") !== now.iso) {
      counted.textContent = "Days are counted from your date, " + now.date + " " + now.year + ".";
    }
  }

  document.querySelectorAll("button.copy[data-copy]").forEach(function (button) {
    var field = document.getElementById(button.getAttribute("data-copy"));
    if (!field) { return; }
    button.hidden = false;
    field.addEventListener("focus", function () { field.select(); });
    button.addEventListener("click", function () {
      field.select();
      function done() {
        button.textContent = "Copied";
        window.setTimeout(function () { button.textContent = "Copy"; }, 2000);
      }
      function fallback() {
        var copied = false;
        try { copied = document.execCommand("copy"); } catch (error) { copied = false; }
        if (copied) { done(); } else { button.textContent = "Press Ctrl+C"; }
      }
      if (navigator.clipboard && window.isSecureContext) {
        navigator.clipboard.writeText(field.value).then(done, fallback);
      } else {
        fallback();
      }
    });
  });
}());
