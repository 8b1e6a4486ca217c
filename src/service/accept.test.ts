/**
 * Accepting an upload whose job row cannot be written (here: the id is taken, as a store refusal
 * would be; a store outage or a full disk fail the same call) leaves nothing on disk: the upload
 * belongs to no job, so no file of it may stay in the data dir. Both store drivers, real ffprobe.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { ffmpeg } from '../../test/helpers/cli.js';
import { storeDriverCases } from '../../test/helpers/store-drivers.js';
import { configSchema } from '../config/schema.js';
import { openRuntime, type Runtime } from '../runtime.js';
import { TranscriptionService } from './service.js';

for (const driver of await storeDriverCases('accept')) {
  describe(`accept on ${driver.name}: a job row that cannot be written`, { skip: driver.skip }, () => {
    let runtime: Runtime;
    let service: TranscriptionService;
    let dataDir: string;

    before(async () => {
      const settings = await driver.settings();
      dataDir = settings.dataDir;
      runtime = await openRuntime(configSchema.parse({ ...settings, serve: { apiKeys: ['accept-test-key-0123456789'] } }));
      service = new TranscriptionService({ runtime });
    });

    after(async () => {
      await service?.stop();
      await runtime?.close();
      await driver.cleanup();
    });

    test('the error reaches the caller and the job directory is gone', async () => {
      const jobId = await service.reserveJob();
      const jobDir = join(dataDir, 'jobs', jobId);
      ffmpeg(['-f', 'lavfi', '-i', 'sine=frequency=440:duration=1', '-ar', '16000', '-ac', '1', '-f', 'wav', join(jobDir, 'input.part')]);
      // The row exists already: createJob fails after the upload was checked and moved into place.
      await runtime.store.createJob({ id: jobId, source: 'elsewhere', segmentSec: 60, backend: 'pocketsphinx', format: 'json', language: null, priority: 'normal', options: {} });
      await assert.rejects(service.accept(jobId, 'owner-a', 'tone.wav', {}));
      assert.equal(existsSync(jobDir), false, 'no upload left behind without its job');
    });
  });
}
