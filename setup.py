from setuptools import find_packages, setup

setup(
    name="darkvid",
    version="0.1.0",
    description="Action recognition in dark videos: the UG2+ 2022 Track 2 top-2 pipeline, re-implemented",
    license="MIT",
    python_requires=">=3.9",
    packages=find_packages(include=["darkvid", "darkvid.*"]),
    install_requires=[
        "torch>=2.1",
        "torchvision>=0.16",
        "numpy>=1.23",
        "fvcore>=0.1.5",
        "iopath>=0.1.9",
        "av>=11",
        "simplejson>=3.17",
        "opencv-python-headless>=4.6",
        "timm>=0.9",
        "einops>=0.6",
        "pandas>=1.5",
        "scikit-learn>=1.1",
        "tqdm>=4.60",
        "tensorboard>=2.10",
        "matplotlib>=3.5",
        "PyYAML>=5.4",
    ],
    entry_points={"console_scripts": ["darkvid-predict=darkvid.inference.cli:predict_main",
                                      "darkvid-export-bundle=darkvid.inference.cli:export_main"]},
    extras_require={
        # `make test` lints (ruff.toml) before it runs pytest; submitit lets the SLURM executor test run (locally)
        "test": ["pytest>=7", "ruff>=0.5", "submitit>=1.5"],
        "decord": ["decord>=0.6"],
        "cluster": ["submitit>=1.5"],  # tools/run_pipeline.py --executor slurm
    },
)
