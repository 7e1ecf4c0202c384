// Runs an exported student in onnxruntime (the npm package onnxruntime-node) over batches of
// word ids and prints the logits as JSON: node run_onnx.js ORT_DIR MODEL INPUTS.json
// INPUTS.json: {"batches": [{"ids": [[...], ...], "lengths": [...], "ids_b": ..., "lengths_b": ...}]}
// Output: {"logits": [[...], ...], "metadata": {...}} in the order of the batches' rows.
const fs = require('fs');
const [ortDir, modelPath, inputsPath] = process.argv.slice(2);
const ort = require(ortDir);

function idsTensor(rows) {
  const width = Math.max(...rows.map(r => r.length));
  const data = new BigInt64Array(rows.length * width);  // padded with 0, the [PAD] id
  rows.forEach((r, i) => r.forEach((id, j) => { data[i * width + j] = BigInt(id); }));
  return new ort.Tensor('int64', data, [rows.length, width]);
}

async function main() {
  const session = await ort.InferenceSession.create(modelPath);
  const inputs = JSON.parse(fs.readFileSync(inputsPath, 'utf8'));
  const logits = [];
  for (const batch of inputs.batches) {
    const feeds = {
      input_ids: idsTensor(batch.ids),
      lengths: new ort.Tensor('int32', Int32Array.from(batch.lengths), [batch.lengths.length]),
    };
    if (batch.ids_b) {
      feeds.input_ids_b = idsTensor(batch.ids_b);
      feeds.lengths_b =
          new ort.Tensor('int32', Int32Array.from(batch.lengths_b), [batch.lengths_b.length]);
    }
    const out = (await session.run(feeds)).logits;
    const k = out.dims[1];
    for (let i = 0; i < out.dims[0]; ++i) logits.push(Array.from(out.data.slice(i * k, (i + 1) * k)));
  }
  process.stdout.write(JSON.stringify({logits}));
}
main().catch(e => { console.error('error: ' + e.message); process.exit(1); });
