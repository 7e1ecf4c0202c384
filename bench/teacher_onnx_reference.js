// The reference BERT of bench/teacher_reference.py exported with torch.onnx.export (opset 14),
// in onnxruntime (onnxruntime-node, all graph optimizations) on the padded batches
// bench/teacher_bench wrote. Prints one JSON object.
//   node bench/teacher_onnx_reference.js ORT_DIR MODEL.onnx WORK THREADS
const fs = require('fs');
const [ortDir, modelPath, work, threads] = process.argv.slice(2);
const ort = require(ortDir);

function readBatches(path) {  // a line a batch, rows split by ';', ids by spaces
  return fs.readFileSync(path, 'utf8').split('\n').filter(l => l.length > 0)
      .map(l => l.split(';').map(r => r.trim().split(/\s+/).map(Number)));
}

function feeds(rows, types) {
  const width = Math.max(...rows.map(r => r.length));
  const ids = new BigInt64Array(rows.length * width), mask = new BigInt64Array(rows.length * width);
  const segments = new BigInt64Array(rows.length * width);
  rows.forEach((r, i) => r.forEach((id, j) => {
    ids[i * width + j] = BigInt(id);
    mask[i * width + j] = 1n;
    if (types) segments[i * width + j] = BigInt(types[i][j]);
  }));
  const shape = [rows.length, width];
  return {input_ids: new ort.Tensor('int64', ids, shape),
          attention_mask: new ort.Tensor('int64', mask, shape),
          token_type_ids: new ort.Tensor('int64', segments, shape)};
}

async function main() {
  const options = {intraOpNumThreads: Number(threads), interOpNumThreads: 1,
                   graphOptimizationLevel: 'all'};
  const session = await ort.InferenceSession.create(modelPath, options);
  const batches = readBatches(work + '/teacher_ids.txt');
  const typesPath = work + '/teacher_types.txt';
  const types = fs.existsSync(typesPath) ? readBatches(typesPath) : null;
  const raw = fs.readFileSync(work + '/teacher_logits_cpp.bin');  // may sit in Node's shared pool
  const cpp = new Float32Array(raw.buffer.slice(raw.byteOffset, raw.byteOffset + raw.length));
  await session.run(feeds(batches[0], types && types[0]));  // warm-up, untimed
  const outputs = [];
  const start = process.hrtime.bigint();
  for (let b = 0; b < batches.length; ++b)
    outputs.push((await session.run(feeds(batches[b], types && types[b]))).logits.data);
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  let sentences = 0, worst = 0, k = 0;
  for (let b = 0; b < batches.length; ++b) {
    k = outputs[b].length / batches[b].length;
    for (let i = 0; i < outputs[b].length; ++i)
      worst = Math.max(worst, Math.abs(outputs[b][i] - cpp[sentences * k + i]));
    sentences += batches[b].length;
  }
  process.stdout.write(JSON.stringify({
    implementation: 'onnxruntime ' + ort.env.versions.common + ' (onnxruntime-node), torch.onnx.export',
    threads: Number(threads), sentences, seconds, sentences_per_second: sentences / seconds,
    max_abs_logit_difference_vs_cpp: worst}) + '\n');
}
main().catch(e => { console.error(e); process.exit(1); });
