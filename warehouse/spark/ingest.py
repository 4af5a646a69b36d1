"""`wavehouse build --engine spark`, first step: dbt-spark builds the ingest models (read, type,
quarantine, dedupe) as Parquet, which the DuckDB build then reads."""

from __future__ import annotations

import os
import sys
from pathlib import Path

from ..build.dbt import dbt_args, environment, run_dbt
from ..build.options import INGEST_MODELS, with_var
from ..errors import WavehouseError
from ..paths import build_dir


def spark_ingest(base: Path, data: Path, dbt_extra: list[str], master: str | None) -> Path:
    """`--engine spark`, first step: the ingest models built by dbt-spark (target spark) as Parquet
    under build/spark; returns that folder, which the DuckDB build then reads (var spark_output)."""
    import shutil

    try:
        import dbt.adapters.spark  # noqa: F401
        import pyspark  # noqa: F401
    except ImportError:
        raise WavehouseError(
            "--engine spark needs pyspark and dbt-spark: pip install 'wavehouse[spark]' (and a Java runtime)"
        ) from None
    if shutil.which("java") is None and not os.environ.get("JAVA_HOME"):
        raise WavehouseError(
            "--engine spark needs a Java runtime (java on PATH or JAVA_HOME), e.g. apt install default-jre-headless"
        )
    output = build_dir(base) / "spark"
    shutil.rmtree(output, ignore_errors=True)
    shutil.rmtree(build_dir(base) / "spark-warehouse", ignore_errors=True)
    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)  # Python workers: this interpreter, where wavehouse is
    with environment(WAVEHOUSE_SPARK_MASTER=master):
        run_dbt(
            dbt_args(
                "run",
                base,
                ["--target", "spark", "--select", *INGEST_MODELS, *with_var(dbt_extra, "spark_output", str(output))],
            ),
            base,
            data,
        )
    # what Spark ran and how long each model took (the DuckDB build that follows replaces target/'s)
    shutil.copy(build_dir(base) / "target" / "run_results.json", output / "run_results.json")
    return output
