/* status.c — names and sentences for imprint_status. */
#include "imprint.h"

const char *imprint_status_code(imprint_status status) {
  switch (status) {
    case IMPRINT_OK: return "OK";
    case IMPRINT_ERR_INVALID_ARGUMENT: return "INVALID_ARGUMENT";
    case IMPRINT_ERR_DECODE_FAILED: return "DECODE_FAILED";
    case IMPRINT_ERR_UNSUPPORTED_FORMAT: return "UNSUPPORTED_FORMAT";
    case IMPRINT_ERR_IMAGE_TOO_LARGE: return "IMAGE_TOO_LARGE";
    case IMPRINT_ERR_MODEL_CORRUPT: return "MODEL_CORRUPT";
    case IMPRINT_ERR_MODEL_MISMATCH: return "MODEL_MISMATCH";
    case IMPRINT_ERR_UNKNOWN_LAYER: return "UNKNOWN_LAYER";
    case IMPRINT_ERR_OUT_OF_MEMORY: return "OUT_OF_MEMORY";
    case IMPRINT_ERR_BACKEND_FAILED: return "BACKEND_FAILED";
    case IMPRINT_ERR_NO_EXAMPLES: return "NO_EXAMPLES";
    case IMPRINT_ERR_UNKNOWN_LABEL: return "UNKNOWN_LABEL";
    case IMPRINT_ERR_HEAD_CORRUPT: return "HEAD_CORRUPT";
    case IMPRINT_ERR_LIMIT_EXCEEDED: return "LIMIT_EXCEEDED";
    case IMPRINT_ERR_UNKNOWN_ID: return "UNKNOWN_ID";
    case IMPRINT_ERR_INDEX_CORRUPT: return "INDEX_CORRUPT";
    case IMPRINT_ERR_SAVED_WITHOUT_EXAMPLES: return "SAVED_WITHOUT_EXAMPLES";
  }
  return "UNKNOWN_STATUS";
}

const char *imprint_status_string(imprint_status status) {
  switch (status) {
    case IMPRINT_OK: return "success";
    case IMPRINT_ERR_INVALID_ARGUMENT: return "an argument is missing, empty or the wrong size";
    case IMPRINT_ERR_DECODE_FAILED: return "the data is not an image that can be decoded, or it is damaged";
    case IMPRINT_ERR_UNSUPPORTED_FORMAT: return "the image format is not supported by imprint's decoder";
    case IMPRINT_ERR_IMAGE_TOO_LARGE: return "the image is larger than the configured limits";
    case IMPRINT_ERR_MODEL_CORRUPT: return "the model file is damaged or not an imprint model";
    case IMPRINT_ERR_MODEL_MISMATCH: return "the data was made for another model";
    case IMPRINT_ERR_UNKNOWN_LAYER: return "the model has no readable layer of that name";
    case IMPRINT_ERR_OUT_OF_MEMORY: return "out of memory";
    case IMPRINT_ERR_BACKEND_FAILED: return "the inference backend (XNNPACK) failed";
    case IMPRINT_ERR_NO_EXAMPLES: return "there are no examples to learn from";
    case IMPRINT_ERR_UNKNOWN_LABEL: return "no class has that label";
    case IMPRINT_ERR_HEAD_CORRUPT: return "the classifier file is damaged or not an imprint classifier";
    case IMPRINT_ERR_LIMIT_EXCEEDED: return "a configured limit was reached";
    case IMPRINT_ERR_UNKNOWN_ID: return "no item of the index has that id";
    case IMPRINT_ERR_INDEX_CORRUPT: return "the index file is damaged or not an imprint index";
    case IMPRINT_ERR_SAVED_WITHOUT_EXAMPLES:
      return "the classifier was saved without its examples, so it cannot learn more; save it with its examples, "
             "or clear() it and start again";
  }
  return "unknown status";
}
