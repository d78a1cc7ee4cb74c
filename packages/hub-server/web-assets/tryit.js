/* global document, location, URL */
// The try-it panel: zero-shot image classification in the visitor's browser with transformers.js on
// onnxruntime-web (WASM). Everything loads from this server: the library, ORT's WASM and the model files.
const section = document.getElementById('try-it');
const form = document.getElementById('try-form');
const imageInput = document.getElementById('try-image');
const labelsInput = document.getElementById('try-labels');
const preview = document.getElementById('try-preview');
const status = document.getElementById('try-status');
const results = document.getElementById('try-results');

let classifier = null;
let imageUrl = null;

function setStatus(text, state) {
  status.textContent = text;
  status.dataset.state = state;
}

async function loadClassifier() {
  if (classifier) return classifier;
  const { pipeline, env } = await import('/_static/vendor/transformers.min.js');
  env.allowLocalModels = false;
  env.allowRemoteModels = true;
  env.remoteHost = `${location.origin}/`;
  env.remotePathTemplate = '{model}/resolve/{revision}/';
  // no blob: copies of the WASM glue (the page's CSP allows scripts from this origin only)
  env.useWasmCache = false;
  env.useBrowserCache = false;
  const ort = env.backends.onnx.wasm;
  ort.wasmPaths = {
    mjs: `${location.origin}/_static/ort/ort-wasm-simd-threaded.asyncify.mjs`,
    wasm: `${location.origin}/_static/ort/ort-wasm-simd-threaded.asyncify.wasm`,
  };
  ort.numThreads = 1;
  classifier = await pipeline('zero-shot-image-classification', section.dataset.model, {
    revision: section.dataset.revision,
    dtype: 'fp32',
    device: 'wasm',
  });
  return classifier;
}

imageInput.addEventListener('change', () => {
  const file = imageInput.files && imageInput.files[0];
  if (imageUrl) URL.revokeObjectURL(imageUrl);
  imageUrl = file ? URL.createObjectURL(file) : null;
  preview.hidden = !imageUrl;
  if (imageUrl) preview.src = imageUrl;
});

form.addEventListener('submit', async (event) => {
  event.preventDefault();
  const labels = labelsInput.value
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  if (!imageUrl || labels.length === 0) return setStatus('Pick an image and type at least one label.', 'error');
  results.replaceChildren();
  try {
    setStatus('Loading the model…', 'loading');
    const run = await loadClassifier();
    setStatus('Classifying…', 'running');
    // the labels are used as typed: no "This is a photo of" template around them
    const output = await run(imageUrl, labels, { hypothesis_template: '{}' });
    for (const { label, score } of output) {
      const row = document.createElement('tr');
      row.dataset.label = label;
      row.dataset.prob = String(score);
      const name = document.createElement('td');
      name.textContent = label;
      const value = document.createElement('td');
      value.textContent = `${(score * 100).toFixed(2)}%`;
      row.append(name, value);
      results.append(row);
    }
    setStatus('Done.', 'done');
  } catch (e) {
    setStatus(`Failed: ${e && e.message ? e.message : String(e)}`, 'error');
  }
});
