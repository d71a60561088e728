// The probe agent's image for users without Go: the npm package ships static nph-agent binaries
// (agent-bin/linux-<arch>/nph-agent, built at pack time by scripts/build-agent-binaries.sh), and
// when the image is missing from the local Docker engine it is built from them with `docker build`
// on an empty base (FROM scratch): no registry, no toolchain. The harness only ever runs
// /bin/nph-agent in its pods, so the binary, /tmp and a minimal /etc/passwd are the whole image.
import { access, chmod, constants, copyFile, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { InfraError } from '../../errors.js';
import { runChecked, type CommandRunner } from '../command.js';
import { findPackageFile } from '../paths.js';
import { silentProgress, withStep, type Progress } from '../progress.js';

export const AGENT_BIN_DIR = 'agent-bin';
export const BUILT_FROM_LABEL = 'io.netpol-harness.agent.built-from';

/** Go's name for the engine's CPU architecture (docker reports amd64, arm64, ...), or undefined. */
export function agentBinaryFor(arch: string, root = findPackageFile(AGENT_BIN_DIR)): string | undefined {
  return root ? path.join(root, `linux-${arch.trim()}`, 'nph-agent') : undefined;
}

/** The Dockerfile of the image built from a shipped binary (pure). */
export function agentDockerfile(version: string | undefined): string {
  return [
    'FROM scratch',
    'COPY rootfs/ /',
    'COPY nph-agent /bin/nph-agent',
    'ENV PATH=/bin',
    `LABEL ${BUILT_FROM_LABEL}=prebuilt-binary${version ? ` org.opencontainers.image.version=${version}` : ''}`,
    'ENTRYPOINT ["/bin/nph-agent"]',
    'CMD ["serve"]',
    '',
  ].join('\n');
}

export interface EnsureAgentImageOptions {
  runner: CommandRunner;
  docker: string;
  progress?: Progress;
  /** The folder holding linux-<arch>/nph-agent (default: the package's agent-bin/). */
  binaryRoot?: string;
  version?: string;
}

/** 'present' when the engine had the image, 'built' when it was built from the shipped binary. */
export async function ensureAgentImage(image: string, opts: EnsureAgentImageOptions): Promise<'present' | 'built'> {
  const { runner, docker } = opts;
  const inspect = await runner.run(docker, ['image', 'inspect', '--format', '{{.Id}}', image]);
  if (inspect.exitCode === 0) return 'present';
  if (/Cannot connect|Is the docker daemon running/i.test(inspect.stderr)) {
    throw new InfraError(`the Docker engine is not reachable through '${docker}': ${inspect.stderr.trim()}`, { hint: 'start the Docker engine (or set NPH_DOCKER)' });
  }
  const arch = (await runChecked(runner, docker, ['version', '--format', '{{.Server.Arch}}'], 'asking the Docker engine for its architecture')).stdout.trim();
  const binary = agentBinaryFor(arch, opts.binaryRoot ?? findPackageFile(AGENT_BIN_DIR));
  if (!binary || !(await access(binary, constants.R_OK).then(() => true, () => false))) {
    throw new InfraError(`the probe agent image ${image} is not in the local Docker engine, and this installation ships no agent binary for linux/${arch}${binary ? ` (${binary})` : ''}`, {
      hint: 'build it: bash scripts/ci/build-agent-image.sh (needs Go; npm run images on hosts without registry access), or use netpol-harness from its npm package, which ships the binaries',
    });
  }
  await withStep(opts.progress ?? silentProgress, `building the agent image ${image} from ${binary} (linux/${arch})`, async () => {
    const ctx = await mkdtemp(path.join(tmpdir(), 'nph-agent-image-'));
    try {
      const rootfs = path.join(ctx, 'rootfs');
      await mkdir(path.join(rootfs, 'etc'), { recursive: true });
      await mkdir(path.join(rootfs, 'tmp'));
      await chmod(path.join(rootfs, 'tmp'), 0o1777);
      await writeFile(path.join(rootfs, 'etc/passwd'), 'root:x:0:0:root:/root:/bin/nph-agent\nnobody:x:65534:65534::/:/bin/nph-agent\n');
      await writeFile(path.join(rootfs, 'etc/group'), 'root:x:0:\nnogroup:x:65534:\n');
      await copyFile(binary, path.join(ctx, 'nph-agent'));
      await chmod(path.join(ctx, 'nph-agent'), 0o755);
      const versionFile = findPackageFile('images/agent/VERSION');
      const version = opts.version ?? (versionFile ? (await readFile(versionFile, 'utf8')).trim() : undefined);
      await writeFile(path.join(ctx, 'Dockerfile'), agentDockerfile(version));
      await runChecked(runner, docker, ['build', '--quiet', '--tag', image, ctx], `docker build of ${image}`, { timeoutMs: 300_000 });
    } finally {
      await rm(ctx, { recursive: true, force: true });
    }
    // Smoke test: the image runs and the binary is the agent.
    const v = await runChecked(runner, docker, ['run', '--rm', image, 'version'], `running ${image} version`, { timeoutMs: 60_000 });
    if (!v.stdout.startsWith('nph-agent ')) throw new InfraError(`${image} built from ${binary} printed '${v.stdout.trim()}' for 'version', expected 'nph-agent <version>'`);
  });
  return 'built';
}
