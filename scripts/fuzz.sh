#!/bin/sh
# Fuzz every parser that takes outside bytes with libFuzzer (clang, AddressSanitizer + UBSan):
# image decode + preprocessing, the model file loader, the head file loader. Seed corpora are
# real files: the test photos and stamps, the converted models, a head saved by the library.
#
#   scripts/fuzz.sh [seconds per target, default 60] [target ...]
# Crashes are written to build/fuzz/crashes/<target>/ and make the script fail.
set -eu
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
SECONDS_PER_TARGET=${1:-60}
[ "$#" -gt 0 ] && shift
TARGETS=${*:-image_decode model_file head_file}
OUT="$ROOT/build/fuzz"
mkdir -p "$OUT"

command -v clang >/dev/null || { echo "fuzz: clang not found; run scripts/setup.sh" >&2; exit 1; }
FLAGS="-std=c11 -g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined -Iinclude -Isrc -I/usr/include/stb"

build() {
    name=$1; shift
    clang $FLAGS "tests/fuzz/fuzz_$name.c" "$@" -lm -o "$OUT/fuzz_$name"
}
build image_decode src/image_decode.c src/jpeg_scan.c src/preprocess.c src/stb_image_impl.c src/image_api.c
build model_file src/model_file.c
build head_file src/head.c src/head_file.c src/head_train.c src/status.c src/model_file.c

# Seeds: small real files (the fuzzer mutates them; big ones only slow it down).
seed() {
    dir="$OUT/corpus/$1"; shift
    mkdir -p "$dir"
    for f in "$@"; do [ -f "$f" ] && cp "$f" "$dir/" ; done
}
seed image_decode .cache/testdata/photos/*.jpg $(ls .cache/testdata/stamps/animals/birds/*.png | head -8)
node -e "
const fs=require('fs'); const path=require('path');
// A small PNG, GIF, BMP and gray JPEG-like variety from the library's own decoder tests.
const { encodePng } = require('./tests/support/png-writer');
const dir='$OUT/corpus/image_decode';
const px=new Uint8Array(16*16*4).map((_,i)=>(i*37)&255);
fs.writeFileSync(path.join(dir,'rgba.png'), encodePng({width:16,height:16,colorType:6,data:px}));
fs.writeFileSync(path.join(dir,'gray.png'), encodePng({width:16,height:16,colorType:0,data:px.subarray(0,256)}));
"
mkdir -p "$OUT/corpus/model_file"
node tests/fuzz/small-model.js "$OUT/corpus/model_file/small.imprint"
# A head: trained by the library on real embeddings, saved with its examples.
node -e "
const fs=require('fs'); const { createExtractor, createClassifier } = require('.');
(async () => {
  const ex = await createExtractor(); const clf = createClassifier(ex);
  const files = fs.readdirSync('.cache/testdata/photos').filter(f => f.endsWith('.jpg'));
  for (const [i, f] of files.entries()) await clf.addExample('.cache/testdata/photos/' + f, i % 2 ? 'odd' : 'even');
  await clf.train();
  fs.mkdirSync('$OUT/corpus/head_file', { recursive: true });
  fs.writeFileSync('$OUT/corpus/head_file/trained.imprint', clf.save());
  fs.writeFileSync('$OUT/corpus/head_file/no-examples.imprint', clf.save({ examples: false }));
  fs.writeFileSync('$OUT/head-backbone', ex.info.dim + ' ' + ex.info.modelHash);
  clf.dispose(); ex.dispose();
})();
"
IMPRINT_FUZZ_DIM=$(cut -d' ' -f1 "$OUT/head-backbone")
IMPRINT_FUZZ_HASH=$(cut -d' ' -f2 "$OUT/head-backbone")
export IMPRINT_FUZZ_DIM IMPRINT_FUZZ_HASH

status=0
# Every input a fuzzer ever crashed on stays a regression test (tests/fuzz/regressions/<target>/).
for t in $TARGETS; do
    dir="tests/fuzz/regressions/$t"
    [ -d "$dir" ] && [ -n "$(ls "$dir")" ] || continue
    if ! "$OUT/fuzz_$t" "$dir"/* > "$OUT/$t-regressions.log" 2>&1; then
        echo "fuzz: $t fails on a recorded regression input (see $OUT/$t-regressions.log)" >&2
        tail -20 "$OUT/$t-regressions.log" >&2
        status=1
    else
        echo "fuzz: $t: $(ls "$dir" | wc -l) regression input(s) pass"
    fi
done
for t in $TARGETS; do
    mkdir -p "$OUT/crashes/$t" "$OUT/live/$t"
    echo "fuzz: $t for ${SECONDS_PER_TARGET}s"
    if ! "$OUT/fuzz_$t" "$OUT/live/$t" "$OUT/corpus/$t" -max_total_time="$SECONDS_PER_TARGET" -rss_limit_mb=2048 \
        -max_len=4000000 -artifact_prefix="$OUT/crashes/$t/" -print_final_stats=1 > "$OUT/$t.log" 2>&1; then
        echo "fuzz: $t FOUND A CRASH (see $OUT/crashes/$t/ and $OUT/$t.log)" >&2
        tail -40 "$OUT/$t.log" >&2
        status=1
    fi
    grep -E "^stat::(number_of_executed_units|peak_rss_mb)|cov:" "$OUT/$t.log" | tail -3
done
exit $status
