#!/usr/bin/env bash
# One command: set up (virtualenv + requirements) and run the workshop on http://localhost:8501.
# Uses your normal AWS settings: AWS_PROFILE, AWS_REGION (default us-east-1), or AWS_ACCESS_KEY_ID/...
source "$(dirname "$0")/_env.sh"
ensure_venv
install_requirements requirements.txt
install_local_engines
cd "$ROOT"
echo "==> Bedrock Image Workshop on http://${WORKSHOP_ADDRESS:-localhost}:${WORKSHOP_PORT:-8501}"
exec "$VENV/bin/python" scripts/serve.py \
  --server.port "${WORKSHOP_PORT:-8501}" --server.address "${WORKSHOP_ADDRESS:-localhost}" "$@"
