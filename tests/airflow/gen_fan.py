"""Print a synthetic zenc pipeline (hand-written YAML form) of N steps shaped fan-out/fan-in:
`start` -> N-2 parallel `work_i` -> `join`. Used to measure Airflow's parse time:
    python3 tests/airflow/gen_fan.py 1000 > /tmp/fan1000.yaml"""
import sys

n = int(sys.argv[1]) if len(sys.argv) > 1 else 1000
print("name: fan_out_fan_in_synthetic")
print("snapshot_id: 99999999-8888-7777-6666-555555555555")
print("flavor: airflow")
print("image: registry.example.com/app:1.0")
print("steps:")
print("  - name: start")
for i in range(n - 2):
    print(f"  - name: work_{i:04d}")
    print("    upstream: [start]")
print("  - name: join")
print("    upstream: [" + ", ".join(f"work_{i:04d}" for i in range(n - 2)) + "]")
