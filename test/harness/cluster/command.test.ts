// Every docker and kind command has a deadline: a fake `docker` that never answers (a stalled
// engine) is killed, and the run gets a typed error naming the command and what to check.
import { expect } from 'chai';
import { chmod, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { removeOrphanedExternals } from '../../../harness/apply/externals.js';
import { commandDeadlineMs, execaRunner, runChecked } from '../../../harness/cluster/command.js';
import { localImages } from '../../../harness/cluster/images.js';
import { CommandTimeoutError, InfraError } from '../../../harness/errors.js';
import { down } from '../../../harness/run/down.js';

const alive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

async function rejection(p: Promise<unknown>): Promise<unknown> {
  try {
    await p;
  } catch (e) {
    return e;
  }
  throw new Error('expected a rejection');
}

describe('cluster/command: docker and kind calls are bounded', function () {
  // Real processes are started and killed: allow for a loaded machine (nothing here is timed).
  this.timeout(30_000);
  let dir: string;
  let docker: string;
  let pidFile: string;
  const saved = process.env.NPH_DOCKER_TIMEOUT_MS;

  before(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'nph-stalled-docker-'));
    docker = path.join(dir, 'docker');
    pidFile = path.join(dir, 'pid');
    // A stalled engine: the CLI hangs. `exec` so the killed process is the sleeper itself.
    await writeFile(docker, `#!/bin/sh\necho $$ > '${pidFile}'\nexec sleep 600\n`);
    await chmod(docker, 0o755);
  });
  afterEach(() => {
    if (saved === undefined) delete process.env.NPH_DOCKER_TIMEOUT_MS;
    else process.env.NPH_DOCKER_TIMEOUT_MS = saved;
  });
  after(() => rm(dir, { recursive: true, force: true }));

  it('deadlines by kind of command: quick engine calls, image transfers and cluster creation; other tools none', () => {
    const env = {};
    expect(commandDeadlineMs('docker', ['ps', '--all'], env)).to.equal(120_000);
    expect(commandDeadlineMs('/usr/local/bin/docker', ['exec', 'node', 'crictl', 'images'], env)).to.equal(120_000);
    expect(commandDeadlineMs('docker', ['image', 'save', '-o', 'x.tar', 'a:1'], env)).to.equal(900_000);
    expect(commandDeadlineMs('docker', ['build', '--quiet', '.'], env)).to.equal(900_000);
    expect(commandDeadlineMs('/var/cache/netpol-harness/bin/kind', ['create', 'cluster', '--name', 'x'], env)).to.equal(900_000);
    expect(commandDeadlineMs('kind', ['load', 'docker-image', 'a:1'], env)).to.equal(900_000);
    expect(commandDeadlineMs('kind', ['delete', 'cluster', '--name', 'x'], env)).to.equal(300_000);
    expect(commandDeadlineMs('kind', ['get', 'clusters'], env)).to.equal(120_000);
    expect(commandDeadlineMs('go', ['build', './...'], env)).to.equal(undefined);
    // slow CI: the quick deadline can be raised (and never cuts image transfers below their own)
    expect(commandDeadlineMs('docker', ['ps'], { NPH_DOCKER_TIMEOUT_MS: '300000' })).to.equal(300_000);
    expect(commandDeadlineMs('docker', ['save', 'a'], { NPH_DOCKER_TIMEOUT_MS: '300' })).to.equal(900_000);
  });

  it('a docker call to a stalled engine is killed at its deadline with a typed error naming the command and what to check', async () => {
    // Long enough for the script to record its PID on a loaded machine.
    const e = await rejection(execaRunner.run(docker, ['ps', '--all'], { timeoutMs: 2000 }));
    expect(e).to.be.instanceOf(CommandTimeoutError).and.instanceOf(InfraError);
    const err = e as CommandTimeoutError;
    expect(err.message).to.equal(`the Docker engine did not answer within 2.0 s: ${docker} ps --all (killed)`);
    expect(err.command).to.equal(`${docker} ps --all`);
    expect(err.timeoutMs).to.equal(2000);
    expect(err.hint).to.include('is dockerd stalled?').and.include('`docker info`');
    const pid = Number((await readFile(pidFile, 'utf8')).trim());
    expect(alive(pid), 'the hung CLI process is gone').to.equal(false);
  });

  it('a call given no deadline gets the default one (NPH_DOCKER_TIMEOUT_MS here), so no caller can forget it', async () => {
    process.env.NPH_DOCKER_TIMEOUT_MS = '300';
    const e = await rejection(execaRunner.run(docker, ['inspect', 'x']));
    expect(e).to.be.instanceOf(CommandTimeoutError);
    expect((e as CommandTimeoutError).timeoutMs).to.equal(300);
  });

  it('runChecked says what the harness was doing; kind gets its own wording', async () => {
    const e = await rejection(runChecked(execaRunner, docker, ['ps'], 'listing external containers', { timeoutMs: 300 }));
    expect((e as Error).message).to.match(/^listing external containers: the Docker engine did not answer within 0.3 s: .*docker ps \(killed\)$/);
    const kind = path.join(dir, 'kind');
    await writeFile(kind, '#!/bin/sh\nexec sleep 600\n');
    await chmod(kind, 0o755);
    const k = await rejection(execaRunner.run(kind, ['get', 'clusters'], { timeoutMs: 300 }));
    expect((k as Error).message).to.match(/^kind \(which drives the Docker engine\) did not finish within 0.3 s: .*kind get clusters \(killed\)$/);
    expect((k as CommandTimeoutError).hint).to.include('docker info');
  });

  it('the orphan sweep, `down` and the local image check fail with the timeout instead of hanging', async () => {
    process.env.NPH_DOCKER_TIMEOUT_MS = '300';
    expect(await rejection(removeOrphanedExternals({ docker }))).to.be.instanceOf(CommandTimeoutError);
    expect(await rejection(down({ name: 'nph-x', docker, kind: path.join(dir, 'kind') }))).to.be.instanceOf(CommandTimeoutError);
    expect(await rejection(localImages(['a:1'], execaRunner, docker))).to.be.instanceOf(CommandTimeoutError);
    // no Docker CLI at all: no local images (an existing cluster needs none)
    expect(await localImages(['a:1'], execaRunner, path.join(dir, 'no-such-docker'))).to.deep.equal([]);
  });
});
