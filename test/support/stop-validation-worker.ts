/**
 * jest setupFilesAfterEnv: stops the CloudFormation validation worker thread a test file started (every synth of an
 * app starts one), after its last test. jest gives each test file its own module registry, so its own worker: one
 * left behind per file would keep its engine's memory for the rest of the jest worker process.
 */
import { ValidationWorker } from '../../lib/validation/validation-worker';

afterAll(() => ValidationWorker.stop());
