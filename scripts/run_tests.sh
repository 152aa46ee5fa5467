#!/usr/bin/env bash
# One command: set up (virtualenv, test requirements, Debian's Chromium and Tux Paint stamps) and run
# every test. Never reaches AWS: tests use botocore Stubber or the fake endpoint in tests/.
# Extra arguments go to pytest (e.g. -k generation). SKIP_BROWSER_TESTS=1 skips the browser tests.
source "$(dirname "$0")/_env.sh"
ensure_venv
install_requirements requirements-dev.txt
install_local_engines
# Debian packages the tests use: Chromium for the browser tests, a Korean font for it (fonts-noto-cjk: the
# Korean screenshots show Hangul, not boxes), and Tux Paint's labelled photo cut-outs (tuxpaint-stamps-default,
# read from /usr/share) for the local search engine's retrieval check.
need_chromium=0 need_cjk=0 need_stamps=0
if [ "${SKIP_BROWSER_TESTS:-0}" != 1 ] && ! command -v chromium >/dev/null 2>&1; then need_chromium=1; fi
if [ "${SKIP_BROWSER_TESTS:-0}" != 1 ] && ! dpkg-query -W -f='${Status}' fonts-noto-cjk 2>/dev/null | grep -q "ok installed"; then
  need_cjk=1
fi
if [ "${WORKSHOP_CLOUD_ONLY:-0}" != 1 ] && [ ! -d /usr/share/tuxpaint/stamps ]; then need_stamps=1; fi
if [ "$need_chromium$need_cjk$need_stamps" != 000 ]; then as_root apt-get update -qq; fi
if [ "$need_chromium" = 1 ]; then
  echo "==> installing Debian's chromium for the browser tests"
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
fi
if [ "$need_cjk" = 1 ]; then
  echo "==> installing Debian's fonts-noto-cjk so the browser tests' Korean screenshots show Hangul"
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends fonts-noto-cjk >/dev/null
fi
if [ "$need_stamps" = 1 ]; then  # the stamps alone (160 MB), not the Tux Paint program it recommends
  echo "==> installing Debian's tuxpaint-stamps-default for the local search retrieval check"
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends tuxpaint-stamps-default >/dev/null
fi
cd "$ROOT"
# No real AWS account can be reached from tests, whatever this shell has configured.
unset AWS_PROFILE AWS_DEFAULT_PROFILE AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY AWS_SESSION_TOKEN
# Pages are checked in English (AppTest has no browser locale); tests that want Korean set it themselves.
unset WORKSHOP_LANGUAGE
export AWS_EC2_METADATA_DISABLED=true
markers=()
[ "${SKIP_BROWSER_TESTS:-0}" = 1 ] && markers=(-m "not browser")
exec "$VENV/bin/python" -m pytest "${markers[@]}" "$@"
