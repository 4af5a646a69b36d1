"""The Spark engine (`wavehouse build --engine spark`, docs/spark.md): the ingest models built by
dbt-spark (ingest), and the jobs the dbt Python models hand to Spark (jobs): every track embedded
and assigned its clusters with what the driver trained, and the neighbour lists searched list by
list. Imports pyspark only when used."""
