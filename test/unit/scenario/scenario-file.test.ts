import { readdirSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { outageEvidence, type Outage } from "../../../src/scenario/outages.js";
import { parseDuration, parseGroups, parseScenario, readScenario, ScenarioError } from "../../../src/scenario/scenario-file.js";

const MINIMAL = `name = "x"\ndescription = "d"\n`;

describe("scenario files", () => {
  it("every shipped scenario parses", async () => {
    const dir = join(import.meta.dirname, "..", "..", "..", "scenarios");
    const files = readdirSync(dir).filter((f) => f.endsWith(".toml"));
    expect(files.length).toBeGreaterThanOrEqual(10);
    for (const f of files) await expect(readScenario(join(dir, f)), f).resolves.toMatchObject({ name: f.replace(/\.toml$/, "") });
  });

  it("fills defaults for a minimal file", () => {
    const s = parseScenario(MINIMAL);
    expect(s).toMatchObject({ seed: 1, network: { validators: 4, selection: "poa", tick_ms: 50, byzantine: "" }, load: { rate: 20, kinds: ["transfer"] }, step: [], expect: [] });
  });

  it("reads durations in ms, s, m or as seconds", () => {
    expect([parseDuration("500ms"), parseDuration("4s"), parseDuration("1.5m"), parseDuration(2)]).toEqual([500, 4000, 90_000, 2000]);
    expect(() => parseDuration("4 parsecs")).toThrow(/not like/);
    const s = parseScenario(`${MINIMAL}[[step]]\nat = "3s"\ndo = "kill"\nnode = 1\n[[step]]\nafter = 2\ndo = "restart"\nnode = "validator-1"\n`);
    expect(s.step).toEqual([
      { at: 3000, do: "kill", node: "1" },
      { after: 2000, do: "restart", node: "validator-1" },
    ]);
  });

  it.each([
    [`${MINIMAL}typo = 1\n`, /typo|unrecognized/i],
    [`${MINIMAL}[[step]]\ndo = "explode"\n`, /step\[0\]\.do/],
    [`${MINIMAL}[[step]]\ndo = "loss"\nnode = 1\np = 1.5\n`, /step\[0\]\.p/],
    [`${MINIMAL}[[step]]\ndo = "kill"\n`, /step\[0\]\.node/],
    [`${MINIMAL}[[step]]\nat = "1s"\nafter = "1s"\ndo = "heal"\n`, /at most one of at, after, at_height/],
    [`${MINIMAL}[[step]]\ndo = "kill"\nnode = 1\nlabel = "a"\n[[step]]\ndo = "kill"\nnode = 2\nlabel = "a"\n`, /label a is used twice/],
    [`${MINIMAL}[network]\nvalidators = 3\n`, /network\.validators/],
    [`${MINIMAL}[[expect]]\nwhat = "faults-reported"\nfrom = 1\nfault = "bad-vibes"\n`, /expect\[0\]\.fault/],
    [`name = "x"\ndescription = \n`, /not valid TOML/],
  ])("refuses %j with an error naming the key", (text, message) => {
    expect(() => parseScenario(text, "f.toml")).toThrow(ScenarioError);
    expect(() => parseScenario(text, "f.toml")).toThrow(message);
  });

  it("reads partition groups", () => {
    expect(parseGroups("0,1,2/3")).toEqual([["0", "1", "2"], ["3"]]);
    expect(parseGroups([["validator-0"], ["validator-1", "2"]])).toEqual([["validator-0"], ["validator-1", "2"]]);
    expect(() => parseGroups("0,1,2")).toThrow(/not like/);
    expect(() => parseGroups("0,1//2")).toThrow(/not like/);
  });
});

describe("outage evidence", () => {
  const base: Outage = {
    node: "validator-1",
    kind: "kill",
    step: 0,
    startT: 1000,
    wasPrimary: true,
    viewChangesAtStart: 4,
    endT: 7000,
    endStep: 1,
    nodeHeightAtEnd: 10,
    othersHeightAtEnd: 20,
    caughtUpT: 9000,
    viewChangesAtEnd: 6,
  };

  it("passes a node that fell behind, caught up, and whose absence as primary changed the view", () => {
    const e = outageEvidence(base);
    expect(e.map((x) => [x.what, x.ok])).toEqual([
      ["fell-behind", true],
      ["caught-up", true],
      ["view-change", true],
    ]);
  });

  it("fails each part that did not happen", () => {
    const e = outageEvidence({ ...base, othersHeightAtEnd: 11, caughtUpT: null, viewChangesAtEnd: 4 });
    expect(e.map((x) => [x.what, x.ok])).toEqual([
      ["fell-behind", false],
      ["caught-up", false],
      ["view-change", false],
    ]);
    expect(outageEvidence({ ...base, wasPrimary: false, endT: null, nodeHeightAtEnd: null, othersHeightAtEnd: null }).map((x) => [x.what, x.ok])).toEqual([["fell-behind", false]]);
  });
});
