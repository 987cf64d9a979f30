// `--faults drop=0.2,dup=0.1,delay=5..80,partition,crash`: what the network and the machines do
// wrong during the safety phase. The liveness phase turns all of it off (the VOPR's split).
import { SimSpecError } from "../byzantine/byzantine-spec.js";

export const PARTITION_KINDS = ["isolate", "halves", "one-way"] as const;
export type PartitionKind = (typeof PARTITION_KINDS)[number];

export interface FaultSpec {
  /** Probability that one message copy is lost. */
  readonly drop: number;
  /** Probability that a message is delivered twice (with independent delays). */
  readonly duplicate: number;
  /** Per-message delay range in ms; messages overtake each other inside it. */
  readonly delayMs: { readonly min: number; readonly max: number };
  /** Partition kinds to inject (one at a time, each healing at a set time); empty: none. */
  readonly partitions: readonly PartitionKind[];
  /** Crash honest validators and restart them later on the same stores. */
  readonly crash: boolean;
}

export const FAULT_NAMES = ["drop", "dup", "delay", "partition", "crash"] as const;

/** One line per fault, for `--help`. */
export const FAULT_HELP: Readonly<Record<(typeof FAULT_NAMES)[number], string>> = {
  drop: "drop=P: lose each message with probability P (0..1)",
  dup: "dup=P: deliver a message twice with probability P (0..1)",
  delay: "delay=A..B: delay each message A to B ms (reorders messages); default 1..10",
  partition: "partition[=isolate|halves|one-way[|…]]: split the network (isolate one, two halves, a one-way link) and heal it later",
  crash: "crash: crash honest validators at random and restart them later from their stores",
};

export const NO_FAULTS: FaultSpec = { drop: 0, duplicate: 0, delayMs: { min: 1, max: 10 }, partitions: [], crash: false };

function probability(name: string, value: string | undefined): number {
  const p = value === undefined ? NaN : Number(value);
  if (!(p >= 0 && p <= 1) || value === "") throw new SimSpecError("INVALID_SPEC", `fault ${name} needs a probability from 0 to 1, like ${name}=0.1`);
  return p;
}

export function parseFaultSpec(text: string): FaultSpec {
  const trimmed = text.trim();
  if (trimmed === "" || trimmed === "none") return NO_FAULTS;
  let spec: { -readonly [K in keyof FaultSpec]: FaultSpec[K] } = { ...NO_FAULTS };
  const seen = new Set<string>();
  for (const raw of trimmed.split(",")) {
    const item = raw.trim();
    const eq = item.indexOf("=");
    const name = eq < 0 ? item : item.slice(0, eq);
    const value = eq < 0 ? undefined : item.slice(eq + 1);
    if (seen.has(name)) throw new SimSpecError("INVALID_SPEC", `fault ${name} is named twice`);
    seen.add(name);
    switch (name) {
      case "drop":
        spec = { ...spec, drop: probability(name, value) };
        break;
      case "dup":
        spec = { ...spec, duplicate: probability(name, value) };
        break;
      case "delay": {
        const m = value === undefined ? null : /^(\d+)\.\.(\d+)$/.exec(value);
        const min = m === null ? NaN : Number(m[1]);
        const max = m === null ? NaN : Number(m[2]);
        if (!(min >= 0 && max >= min && max <= 60_000)) {
          throw new SimSpecError("INVALID_SPEC", "fault delay needs a range of ms like delay=5..80 (at most 60000)");
        }
        spec = { ...spec, delayMs: { min, max } };
        break;
      }
      case "partition": {
        const kinds = value === undefined ? [...PARTITION_KINDS] : value.split("|");
        for (const k of kinds) {
          if (!(PARTITION_KINDS as readonly string[]).includes(k)) {
            throw new SimSpecError("INVALID_SPEC", `unknown partition kind ${JSON.stringify(k)}; known: ${PARTITION_KINDS.join(", ")}`);
          }
        }
        spec = { ...spec, partitions: [...new Set(kinds as PartitionKind[])] };
        break;
      }
      case "crash":
        if (value !== undefined) throw new SimSpecError("INVALID_SPEC", "fault crash takes no value");
        spec = { ...spec, crash: true };
        break;
      default:
        throw new SimSpecError("INVALID_SPEC", `unknown fault ${JSON.stringify(name)}; known: ${FAULT_NAMES.join(", ")}`);
    }
  }
  return spec;
}

/** The spec back as text, in one canonical order (for summaries and replay commands). */
export function formatFaultSpec(spec: FaultSpec): string {
  const parts: string[] = [];
  if (spec.drop > 0) parts.push(`drop=${spec.drop}`);
  if (spec.duplicate > 0) parts.push(`dup=${spec.duplicate}`);
  if (spec.delayMs.min !== NO_FAULTS.delayMs.min || spec.delayMs.max !== NO_FAULTS.delayMs.max) parts.push(`delay=${spec.delayMs.min}..${spec.delayMs.max}`);
  if (spec.partitions.length > 0) {
    parts.push(spec.partitions.length === PARTITION_KINDS.length ? "partition" : `partition=${spec.partitions.join("|")}`);
  }
  if (spec.crash) parts.push("crash");
  return parts.length === 0 ? "none" : parts.join(",");
}
