// The reporting API the runner and library users call; the modules behind it stay small.
export { classifyCell, observedVerdict, summarize, summarizeRun, type RunSummary, type StepSummary } from '../diff/three-way.js';
export { diffArtifacts, hasChanges, type ArtifactDiff, type CellChange } from '../diff/nightly.js';
export { ArtifactSchema, parseArtifact, readArtifact, toArtifact, type Artifact } from './artifact-schema.js';
export { REPORT_FILES, renderArtifactJson, writeReports, type ReportFormat, type WriteReportsOptions } from './files.js';
export { renderHtml } from './html.js';
export { renderJUnit } from './junit.js';
export { renderMarkdown } from './markdown.js';
export { detectTerminal, renderRun, renderStep, runSummaryLine, runTimingLines, stepSummaryLine, type TerminalOptions } from './terminal.js';
