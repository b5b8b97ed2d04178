# Grokking Diffusion as a container: CPU-only PyTorch, a non-root user, a health check.
#   docker build -t grokking-diffusion .
#   docker run --rm -p 8501:8501 --memory 1.5g grokking-diffusion      # then open http://localhost:8501
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    STREAMLIT_SERVER_HEADLESS=true \
    STREAMLIT_SERVER_FILE_WATCHER_TYPE=none \
    STREAMLIT_BROWSER_GATHER_USAGE_STATS=false

WORKDIR /app

# CPU-only torch first, from PyTorch's CPU wheel index (PyPI's wheel pulls in CUDA libraries, gigabytes).
# Its version, 2.13.0+cpu, satisfies the requirements.txt pin torch==2.13.0, so the second pip keeps it.
COPY requirements.txt .
RUN pip install torch==2.13.0 --index-url https://download.pytorch.org/whl/cpu \
 && pip install -r requirements.txt

RUN useradd --create-home --uid 10001 reader
COPY --chown=reader:reader . .
USER reader

EXPOSE 8501
HEALTHCHECK --interval=30s --timeout=5s --start-period=60s --retries=3 \
  CMD python -c "import sys, urllib.request; sys.exit(urllib.request.urlopen('http://127.0.0.1:8501/_stcore/health', timeout=4).status != 200)"

CMD ["streamlit", "run", "app.py", "--server.port=8501", "--server.address=0.0.0.0"]
