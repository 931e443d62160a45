import sys

from mlpay_model.cli import main

sys.exit(main())
