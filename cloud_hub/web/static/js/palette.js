// Colours: pallets by dwell time (age since their last move) and stock status; locations by kind.
// Rule kept here: status beats dwell — a quarantined, damaged or recalled pallet is always shown
// as such; recalled (held by a recall, docs/trace.md) ranks worst: it must not leave.

const HOUR = 3600e3, DAY = 24 * HOUR;
export const DWELL = [
  { upTo: HOUR, colour: "#4fc3f7", label: "< 1 h" },
  { upTo: DAY, colour: "#1e88e5", label: "< 1 day" },
  { upTo: 7 * DAY, colour: "#3949ab", label: "< 7 days" },
  { upTo: 30 * DAY, colour: "#7b1fa2", label: "< 30 days" },
  { upTo: Infinity, colour: "#37474f", label: "≥ 30 days" },
];
export const STATUS = {
  quarantine: { colour: "#ffb300", label: "quarantine" },
  damaged: { colour: "#e53935", label: "damaged" },
  recalled: { colour: "#d500f9", label: "recalled" },
};
const STATUS_RANK = { available: 0, quarantine: 1, damaged: 2, recalled: 3 };

/** Index into DWELL for an age in milliseconds (negative ages, from clock skew, count as new). */
export function dwellBucket(ageMs) {
  for (let i = 0; i < DWELL.length; i++) if (ageMs < DWELL[i].upTo) return i;
  return DWELL.length - 1;
}

/** Colour bucket of a pallet: 0..4 dwell buckets, 5 quarantine, 6 damaged, 7 recalled. */
export function unitBucket(status, ageMs) {
  if (status === "recalled") return DWELL.length + 2;
  if (status === "damaged") return DWELL.length + 1;
  if (status === "quarantine") return DWELL.length;
  return dwellBucket(ageMs);
}

export const BUCKET_COLOURS = [...DWELL.map((d) => d.colour), STATUS.quarantine.colour, STATUS.damaged.colour,
  STATUS.recalled.colour];

export function worseStatus(a, b) {
  return (STATUS_RANK[a] ?? 0) >= (STATUS_RANK[b] ?? 0) ? a : b;
}

export const KIND_STYLE = {
  zone: { fill: "#eef2f5", stroke: "#b0bec5" },
  area: { fill: "#f3f0ea", stroke: "#bcaaa4" },
  staging: { fill: "#fff8e1", stroke: "#d7ccc8" },
  packing: { fill: "#f1f8e9", stroke: "#c5e1a5" },
  aisle: { fill: null, stroke: "#cfd8dc" },
  rack: { fill: "#cfd8dc", stroke: "#90a4ae" },
  bin: { fill: "#ffffff", stroke: "#b0bec5" },
  dock_door: { fill: "#546e7a", stroke: "#263238" },
  portal: { fill: "#78909c", stroke: "#263238" },
};
export const ZONE_TYPE_FILL = { cold: "#e3f2fd", hazardous: "#fff3e0", high_value: "#f3e5f5" };
// bins that hold loose stock (or a pallet) are tinted so stock reads even when zoomed out
export const BIN_FILL = { available: "#dcedc8", quarantine: "#ffe082", damaged: "#ef9a9a", recalled: "#ea80fc" };
export const GATEWAY_COLOURS = { online: "#43a047", offline: "#e53935", unknown: "#9e9e9e" };
