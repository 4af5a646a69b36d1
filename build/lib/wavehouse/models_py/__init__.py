"""Pure, typed ML functions on numpy arrays, called by the thin dbt Python models in
dbt_project/models/ml/. Nothing here touches the warehouse or dbt."""
