// Second-parser check: read an ICS from stdin with ical.js (Thunderbird's parser) and print, as JSON,
// {uid: {start, end, allDay, summary, description, location}} for every VEVENT.
// Timed starts/ends are UTC ISO strings ("2026-06-13T09:00:00Z") taken from the JS Date, so a time
// ical.js reads as floating would move with the process's TZ; all-day ones are dates ("2026-06-13").
import ICAL from "ical.js";

function moment(time) {
  if (time === null) return null;
  if (time.isDate) return time.toString();
  return time.toJSDate().toISOString().replace(".000Z", "Z");
}

const chunks = [];
for await (const chunk of process.stdin) chunks.push(chunk);
const root = new ICAL.Component(ICAL.parse(Buffer.concat(chunks).toString("utf8")));
const out = {};
for (const vevent of root.getAllSubcomponents("vevent")) {
  const event = new ICAL.Event(vevent);
  out[event.uid] = {
    start: moment(event.startDate),
    end: vevent.hasProperty("dtend") ? moment(event.endDate) : null,
    allDay: event.startDate.isDate,
    summary: event.summary,
    description: event.description,
    location: event.location,
  };
}
process.stdout.write(JSON.stringify(out));
