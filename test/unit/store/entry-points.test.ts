// Importing the pure layers (chain, consensus) or the simulator must not load LevelDB's native
// binding: the stores have their own entry (src/store), and the memory stores a separate one
// (src/store/memory.ts). Each case imports one entry in a fresh Node process and reads which
// CommonJS modules it loaded (`level` and `classic-level` are CommonJS, so an ESM import of them
// lands in require.cache); a control case checks that importing src/store does show `level`.
import { execFileSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

const repoRoot = fileURLToPath(new URL("../../../", import.meta.url));

/** The LevelDB packages an import loaded, as package names. */
function levelModulesLoadedBy(entries: readonly string[]): string[] {
  const script = [
    ...entries.map((e) => `await import(${JSON.stringify(`./${e}`)});`),
    `const { createRequire } = await import("node:module");`,
    `const loaded = Object.keys(createRequire(import.meta.url).cache);`,
    `const names = new Set(loaded.flatMap((p) => { const m = /[\\\\/]node_modules[\\\\/]((?:@[^\\\\/]+[\\\\/])?[^\\\\/]+)[\\\\/]/.exec(p); return m ? [m[1]] : []; }));`,
    `console.log(JSON.stringify([...names].filter((n) => /level/.test(n)).sort()));`,
  ].join("\n");
  const out = execFileSync(process.execPath, ["--import", "tsx", "--input-type=module", "-e", script], { cwd: repoRoot, encoding: "utf8" });
  return JSON.parse(out.trim().split("\n").pop()!) as string[];
}

describe("store entry points", () => {
  it("src/chain and src/consensus do not load level", () => {
    expect(levelModulesLoadedBy(["src/chain/index.ts", "src/consensus/index.ts", "src/consensus/selection/index.ts"])).toEqual([]);
  });

  it("the simulator and the driver, with the memory stores, do not load level", () => {
    expect(levelModulesLoadedBy(["src/sim/index.ts", "src/driver/index.ts", "src/store/memory.ts"])).toEqual([]);
  });

  it("src/store does (the check above can see it)", () => {
    expect(levelModulesLoadedBy(["src/store/index.ts"])).toEqual(expect.arrayContaining(["classic-level", "level"]));
  });
});
