// The exported student in onnxruntime (onnxruntime-node) on the sentences bench/student_bench
// wrote: all training sentences at batch 512 (longest first, as the PyTorch reference), and
// batch-1 latency over the first 500 dev sentences. Prints one JSON object.
//   node bench/onnx_reference.js ORT_DIR MODEL.onnx WORK THREADS
const fs = require('fs');
const [ortDir, modelPath, work, threads] = process.argv.slice(2);
const ort = require(ortDir);

function readIds(path) {  // "label id id ..." per line
  return fs.readFileSync(path, 'utf8').split('\n').filter(l => l.length > 0)
      .map(l => l.trim().split(/\s+/).slice(1).map(Number));
}

function feeds(rows) {
  const width = Math.max(...rows.map(r => r.length));
  const ids = new BigInt64Array(rows.length * width);
  rows.forEach((r, i) => r.forEach((id, j) => { ids[i * width + j] = BigInt(id); }));
  return {
    input_ids: new ort.Tensor('int64', ids, [rows.length, width]),
    lengths: new ort.Tensor('int32', Int32Array.from(rows.map(r => r.length)), [rows.length]),
  };
}

async function main() {
  const options = {intraOpNumThreads: Number(threads), interOpNumThreads: 1,
                   graphOptimizationLevel: 'all'};
  const session = await ort.InferenceSession.create(modelPath, options);
  const train = readIds(work + '/train_ids.txt').sort((a, b) => b.length - a.length);
  const dev = readIds(work + '/dev_ids.txt').slice(0, 500);
  await session.run(feeds(train.slice(0, 512)));  // warm-up, untimed
  let start = process.hrtime.bigint();
  for (let b = 0; b < train.length; b += 512) await session.run(feeds(train.slice(b, b + 512)));
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  start = process.hrtime.bigint();
  for (const row of dev) await session.run(feeds([row]));
  const latency = Number(process.hrtime.bigint() - start) / 1e6 / dev.length;
  process.stdout.write(JSON.stringify({
    implementation: 'onnxruntime ' + ort.env.versions.common + ' (onnxruntime-node), exported model',
    inference_sentences_per_second: train.length / seconds,
    batch1_latency_ms: latency,
  }) + '\n');
}
main().catch(e => { console.error('error: ' + e.message); process.exit(1); });
