table_name = "orders"
