"""N JSON lines for bench/order.avsc (about 100 bytes each in Avro)."""
import json
import sys

n = int(sys.argv[1])
statuses = ["NEW", "PAID", "SHIPPED", "DELIVERED"]
cur = ["EUR", "USD", "GBP"]
w = sys.stdout.write
for i in range(n):
    w(json.dumps({
        "id": i, "ts": 1706700000000 + i, "customer": "customer-%06d" % (i % 100000),
        "sku": "SKU-%08d" % (i * 7919 % 100000000), "qty": i % 17, "price": (i % 10000) / 100.0,
        "currency": cur[i % 3], "status": statuses[i % 4],
        "note": None if i % 3 == 0 else "note %d for order %d" % (i % 1000, i), "paid": i % 2 == 0,
    }, separators=(",", ":")))
    w("\n")
