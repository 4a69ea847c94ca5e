// Read an ICS file with ical.js (the parser of Thunderbird and Nextcloud's calendar app).
// `node read_icaljs.mjs MODULE FILE` prints what ical.js makes of the file as JSON (the shape
// in tests/clients/__init__.py); MODULE is the path of ical.js's dist/ical.js.
import { readFileSync } from "node:fs";
import { pathToFileURL } from "node:url";

const [moduleFile, icsFile] = process.argv.slice(2);
const ICAL = (await import(pathToFileURL(moduleFile).href)).default;
const CALENDAR_PROPERTIES = ["name", "x-wr-calname", "x-wr-caldesc", "description"];

const root = new ICAL.Component(ICAL.parse(readFileSync(icsFile, "utf8")));
// As Thunderbird does: the file's own VTIMEZONEs resolve its TZIDs.
for (const zone of root.getAllSubcomponents("vtimezone")) {
  ICAL.TimezoneService.register(zone);
}

function when(time) {
  if (time.isDate) return time.toString();
  if (time.zone === ICAL.Timezone.localTimezone) return "floating " + time.toString();
  const utc = time.convertToZone(ICAL.Timezone.utcTimezone);
  return utc.toString().replace(/(\.\d+)?Z?$/, "Z");
}

const props = {};
for (const name of CALENDAR_PROPERTIES) {
  const value = root.getFirstPropertyValue(name);
  if (value !== null) props[name.toUpperCase()] = String(value);
}
const events = root.getAllSubcomponents("vevent").map((component) => {
  const event = new ICAL.Event(component);
  return {
    uid: event.uid,
    summary: event.summary,
    start: when(event.startDate),
    end: when(event.endDate),
  };
});
process.stdout.write(JSON.stringify({ props, events }));
