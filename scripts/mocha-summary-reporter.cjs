// Mocha reporter: the usual spec output, plus counts written to $NPH_COUNTS_FILE so
// scripts/test.mjs can print one closing "N passed, N failed, N skipped" line for CI.
const Mocha = require('mocha');
const fs = require('node:fs');
const { EVENT_RUN_END, EVENT_TEST_PENDING } = Mocha.Runner.constants;

class SummaryReporter extends Mocha.reporters.Spec {
  constructor(runner, options) {
    super(runner, options);
    const skipped = [];
    runner.on(EVENT_TEST_PENDING, (t) => skipped.push(t.fullTitle()));
    runner.once(EVENT_RUN_END, () => {
      const s = runner.stats ?? {};
      const out = process.env.NPH_COUNTS_FILE;
      if (out) fs.writeFileSync(out, JSON.stringify({ passed: s.passes ?? 0, failed: s.failures ?? 0, skipped: s.pending ?? 0, skippedTitles: skipped }));
    });
  }
}
module.exports = SummaryReporter;
