// imprint — ES module entry for Node: the same objects as the CommonJS entry.
import imprint from './index.cjs';

export const {
  createExtractor,
  Extractor,
  createClassifier,
  loadClassifier,
  Classifier,
  createBatchEmbedder,
  BatchEmbedder,
  ImprintError,
} = imprint;
export default imprint;
