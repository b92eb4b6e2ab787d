'use strict';
// Writes a small imprint model file (every op kind, a few hundred weights) as a seed for the
// model-file fuzzer: mutations of a 2.6 MB MobileNet are too slow to explore the validator.
//   node tests/fuzz/small-model.js out.imprint
const fs = require('node:fs');
const tf = require('@tensorflow/tfjs');
const { convertArtifacts } = require('../../models/convert.js');

async function main(out) {
  await tf.setBackend('cpu');
  const input = tf.input({ shape: [9, 8, 3], name: 'image' });
  let x = tf.layers.conv2d({ filters: 4, kernelSize: 3, strides: 2, padding: 'same', name: 'stem' }).apply(input);
  x = tf.layers.batchNormalization({ name: 'stem_bn' }).apply(x);
  x = tf.layers.reLU({ maxValue: 6, name: 'stem_relu' }).apply(x);
  const a = tf.layers.depthwiseConv2d({ kernelSize: 3, padding: 'same', name: 'dw' }).apply(x);
  const b = tf.layers.conv2d({ filters: 4, kernelSize: 1, activation: 'relu', name: 'pw' }).apply(x);
  let y = tf.layers.add({ name: 'sum' }).apply([a, b]);
  y = tf.layers
    .zeroPadding2d({
      padding: [
        [1, 0],
        [0, 1],
      ],
      name: 'pad',
    })
    .apply(y);
  const p1 = tf.layers.maxPooling2d({ poolSize: 2, strides: 1, name: 'maxpool' }).apply(y);
  const p2 = tf.layers.averagePooling2d({ poolSize: 2, strides: 1, padding: 'same', name: 'avgpool' }).apply(p1);
  let z = tf.layers.concatenate({ name: 'cat' }).apply([p1, p2]);
  z = tf.layers.globalAveragePooling2d({ name: 'gap' }).apply(z);
  z = tf.layers.dense({ units: 3, activation: 'softmax', name: 'head' }).apply(z);
  const model = tf.model({ inputs: input, outputs: z });
  let artifacts;
  await model.save(tf.io.withSaveHandler(async (a) => ((artifacts = a), { modelArtifactsInfo: {} })));
  const { bytes } = convertArtifacts(
    { modelTopology: artifacts.modelTopology, weightsManifest: [{ paths: ['w'], weights: artifacts.weightSpecs }] },
    artifacts.weightData,
    { embed: 'cat', name: 'fuzz-seed' },
  );
  fs.writeFileSync(out, bytes);
}

main(process.argv[2]).catch((error) => {
  console.error(error);
  process.exit(1);
});
