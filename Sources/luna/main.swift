print("luna")
