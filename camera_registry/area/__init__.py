"""Areas: wards, districts and custom zones with validity dates."""
