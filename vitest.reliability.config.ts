import { defineConfig } from "vitest/config";

// `npm run test:reliability`: the attacks a production node must survive, each its own folder
// under test/reliability: crash points and damaged LevelDB files (real 4-validator networks
// killed at named fail points), fast-check fuzzing of every decoder and validator (10,000 cases
// each), hostile RPC clients and hostile p2p peers against real nodes. One file at a time: the
// networks and the fuzzers each want both cores.
export default defineConfig({
  test: {
    include: ["test/reliability/**/*.test.ts"],
    pool: "forks",
    maxWorkers: 1,
    fileParallelism: false,
    testTimeout: 600_000,
    hookTimeout: 120_000,
    reporters: ["default", "json"],
    outputFile: { json: ".ci/results-reliability.json" },
  },
});
