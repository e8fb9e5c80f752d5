from oms import create_app

app = create_app()
