// Read an ICS from stdin with ical.js and print, as JSON, what it reads for each property, as a calendar client
// shows it: {"calendar": {name: [values]}, "events": {uid: {name: [values]}}}. A structured value (GEO) is an
// array of its parts; every property's parameters are under "name;params".
import ICAL from "ical.js";

function read(component) {
  const out = {};
  for (const property of component.getAllProperties()) {
    out[property.name] = property.getValues().map((v) => (typeof v === "object" && v !== null ? v.toString() : v));
    out[property.name + ";params"] = property.toJSON()[1];
  }
  return out;
}

const chunks = [];
for await (const chunk of process.stdin) chunks.push(chunk);
const root = new ICAL.Component(ICAL.parse(Buffer.concat(chunks).toString("utf8")));
const events = {};
for (const vevent of root.getAllSubcomponents("vevent")) events[vevent.getFirstPropertyValue("uid")] = read(vevent);
process.stdout.write(JSON.stringify({ calendar: read(root), events }));
