// The subscribe page's script, included inline by web/index.html.  The page is complete without
// it; it adds what only the visitor's browser knows:
// - each <time class="visitor" datetime="...Z"> becomes that instant in the visitor's own zone,
//   "13:00 your time (Europe/Berlin)", with the date when it is not the day's own date;
// - "in N days" is recounted from the visitor's date, since an exported page may be days old;
// - the copy buttons appear and copy the calendar address.
// It holds no words of its own: the sentences come translated in <body data-words> (page.py's
// script_words), and dates, times and counts are written by the browser's Intl in the page's
// language (<html lang>; data-words' "locale" where the page's English is written day first).
(function () {
  "use strict";
  var DAY = 86400000;
  var said = {};
  try {
    said = JSON.parse(document.body.getAttribute("data-words") || "{}");
  } catch (error) {
    said = {};
  }
  var locale = said.locale || document.documentElement.lang;

  function fill(sentence, values) {
    return String(sentence).replace(/%\((\w+)\)s/g, function (whole, name) {
      return Object.prototype.hasOwnProperty.call(values, name) ? values[name] : whole;
    });
  }

  var zone, numeric, clock, dayMonth, fullDate, relative;
  try {
    zone = new Intl.DateTimeFormat().resolvedOptions().timeZone;
    // The visitor's calendar date as numbers, to count days with.
    numeric = new Intl.DateTimeFormat(locale, {
      timeZone: zone, calendar: "gregory", numberingSystem: "latn",
      year: "numeric", month: "numeric", day: "numeric"
    });
    clock = new Intl.DateTimeFormat(locale, { timeZone: zone, timeStyle: "short" });
    dayMonth = new Intl.DateTimeFormat(locale, {
      timeZone: zone, calendar: "gregory", weekday: "long", day: "numeric", month: "long"
    });
    fullDate = new Intl.DateTimeFormat(locale, {
      timeZone: zone, calendar: "gregory", dateStyle: "full"
    });
  } catch (error) {
    zone = "";
  }
  try {
    relative = new Intl.RelativeTimeFormat(locale, { numeric: "auto" });
  } catch (error) {
    relative = null;  // the server's words stay
  }

  function isoDate(instant) {
    var out = {};
    numeric.formatToParts(instant).forEach(function (part) { out[part.type] = part.value; });
    return out.year + "-" + ("0" + out.month).slice(-2) + "-" + ("0" + out.day).slice(-2);
  }

  function dayNumber(iso) {
    var bits = iso.split("-");
    return Date.UTC(+bits[0], +bits[1] - 1, +bits[2]) / DAY;
  }

  if (zone) {
    document.querySelectorAll("time.visitor[datetime]").forEach(function (element) {
      var when = new Date(element.getAttribute("datetime"));
      if (isNaN(when.getTime()) || !said.your_time) { return; }
      var text = fill(said.your_time, { time: clock.format(when), zone: zone });
      if (isoDate(when) !== element.getAttribute("data-day") && said.on_day) {
        text = fill(said.on_day, { time: text, date: dayMonth.format(when) });
      }
      element.textContent = text;
    });

    var now = new Date();
    var todayIso = isoDate(now);
    var today = dayNumber(todayIso);
    document.querySelectorAll(".when[data-date]").forEach(function (element) {
      var days = Math.round(dayNumber(element.getAttribute("data-date")) - today);
      if (relative) { element.textContent = relative.format(days, "day"); }
      var item = element.closest(".item");
      if (item) {
        item.classList.toggle("today", days === 0);
        item.classList.toggle("past", days < 0);
      }
    });
    var counted = document.getElementById("counted-from");
    if (counted && counted.getAttribute("data-today") !== todayIso && said.counted) {
      counted.textContent = fill(said.counted, { date: fullDate.format(now) });
    }
  }

  document.querySelectorAll("button.copy[data-copy]").forEach(function (button) {
    var field = document.getElementById(button.getAttribute("data-copy"));
    if (!field) { return; }
    var label = button.textContent;
    button.hidden = false;
    field.addEventListener("focus", function () { field.select(); });
    button.addEventListener("click", function () {
      field.select();
      function done() {
        button.textContent = said.copied || label;
        window.setTimeout(function () { button.textContent = label; }, 2000);
      }
      function fallback() {
        var copied = false;
        try { copied = document.execCommand("copy"); } catch (error) { copied = false; }
        if (copied) { done(); } else if (said.press) { button.textContent = said.press; }
      }
      if (navigator.clipboard && window.isSecureContext) {
        navigator.clipboard.writeText(field.value).then(done, fallback);
      } else {
        fallback();
      }
    });
  });
}());
