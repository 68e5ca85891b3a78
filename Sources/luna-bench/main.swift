print("luna-bench")
